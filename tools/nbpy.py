"""Convert between notebooks and percent-format scripts, for editing notebooks as text.

    python tools/nbpy.py to-nb draft.py nbs/01_sim.ipynb    # '# %%' code cells, '# %% [markdown]' cells
    python tools/nbpy.py to-py nbs/01_sim.ipynb draft.py

Markdown cells are written as '# '-prefixed lines. A code cell may carry tags: '# %% tags=["parameters"]'.
The notebook stays the source of truth; drafts are scratch files and are not committed.
"""
import json, re, sys
from pathlib import Path
import nbformat

HEAD = re.compile(r'^# %%(?: \[(markdown)\])?(?: tags=(\[.*\]))?\s*$')

def to_nb(src, dst):
    cells, kind, tags, buf = [], None, None, []
    def flush():
        if kind is None: return
        text = '\n'.join(buf).strip('\n')
        if kind == 'markdown':
            text = '\n'.join(l[2:] if l.startswith('# ') else l.lstrip('#') for l in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            c = nbformat.v4.new_code_cell(text)
            if tags: c.metadata['tags'] = tags
            cells.append(c)
    for line in Path(src).read_text().splitlines():
        m = HEAD.match(line)
        if m:
            flush()
            kind, tags, buf = (m.group(1) or 'code'), (json.loads(m.group(2)) if m.group(2) else None), []
        else: buf.append(line)
    flush()
    keep_ids(cells, dst)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    nbformat.write(nb, dst)

def keep_ids(cells, dst):
    "Give `cells` the ids of the notebook being replaced (same source first, then same position), so diffs stay small."
    if not Path(dst).exists(): return
    old = nbformat.read(dst, as_version=4).cells
    by_source, used = {}, set()
    for c in old: by_source.setdefault((c.cell_type, c.source), []).append(c.id)
    rest = []
    for i, c in enumerate(cells):
        ids = [x for x in by_source.get((c.cell_type, c.source), []) if x not in used]
        if ids: c.id = ids[0]; used.add(ids[0])
        else: rest.append(i)
    for i in rest:
        if i < len(old) and old[i].id not in used and old[i].cell_type == cells[i].cell_type: cells[i].id = old[i].id; used.add(old[i].id)

def to_py(src, dst):
    nb, out = nbformat.read(src, as_version=4), []
    for c in nb.cells:
        if c.cell_type == 'markdown':
            out.append('# %% [markdown]')
            out += ['# ' + l if l else '#' for l in c.source.splitlines()]
        else:
            tags = c.metadata.get('tags')
            out.append('# %%' + (f' tags={json.dumps(tags)}' if tags else ''))
            out += c.source.splitlines()
        out.append('')
    Path(dst).write_text('\n'.join(out))

if __name__ == '__main__':
    cmd, src, dst = sys.argv[1:4]
    {'to-nb': to_nb, 'to-py': to_py}[cmd](src, dst)
