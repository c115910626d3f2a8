"""Run notebooks' code cells in one namespace per notebook, as `nbdev-test` does, on a machine without nbdev.

    python tools/run_cells.py nbs/20_tiered_store.ipynb nbs/21_moe_layers.ipynb [--flags slow]

For a GPU machine whose Python has torch but not nbdev (it needs fastcore, gymnasium and, for nbs/23-24, ale-py):
cells marked `#| eval: false` are skipped, and `#| slow` cells too unless `--flags slow`; lines starting with `%` or `!`
are dropped. Stops a notebook at its first failing cell (printing the cell and traceback), goes on with the next, and
exits 1 if any failed. Run from the repository root with the root on PYTHONPATH.
"""
import json, re, sys, time, traceback

def run(path:str, flags:set) -> bool:
    "Execute `path`'s code cells in order; True if all passed."
    nb, ns, t0, n = json.load(open(path)), {'__name__': '__main__'}, time.time(), 0
    for k, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        marks = {m.group(1).strip() for m in re.finditer(r'^#\|\s*(.+)$', src, re.M)}
        if 'eval: false' in marks or ('slow' in marks and 'slow' not in flags): continue
        src = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
        try: exec(compile(src, f'{path}#cell{k}', 'exec'), ns); n += 1
        except Exception:
            print(f'FAIL {path} cell {k}:\n{src[:400]}'); traceback.print_exc()
            return False
    print(f'{path}: {n} cells passed, {time.time() - t0:.1f} s', flush=True)
    return True

if __name__ == '__main__':
    args, flags = sys.argv[1:], set()
    if '--flags' in args: i = args.index('--flags'); flags, args = set(args[i + 1:]), args[:i]
    results = [run(p, flags) for p in args]
    sys.exit(0 if all(results) else 1)
