"""The measurements of `pamoe.continual` at a realistic-but-CPU-sized budget: hit rates per tier, prefetch effectiveness,
stall time with and without prefetching, expert specialisation and forgetting for dense / MoE / MoE + detector.

    python benchmarks/continual.py [--preset quick] [--games 0 1 2] [--steps-per-game 2048] [--cycles 2] [--root DIR]
    python benchmarks/continual.py --preset atari-fast --steps-per-game 20000 --cycles 1     # Atari (ale-py), slow
    python benchmarks/continual.py --preset atari-fast --steps-per-game 8000 --cycles 2 --set eval_episodes=2 eval_max_steps=2000

Four runs of one config (the three variants, and MoE + detector with prefetching off: the same run without hints) through `pamoe.continual.run`,
cached under `--root` by config hash (a second call prints without training; an interrupted one resumes from its last
checkpoint, `--no-resume` starts it over). One torch thread per run; `--parallel` trains the four runs at once in
separate processes (on a machine with the cores for it), then prints as usual. `--set device=cuda` runs the agents,
detectors and the stores' device tiers on the GPU. Prints, never asserts.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, tempfile, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp
from dataclasses import asdict
import pandas as pd
import torch
from pamoe import continual
from pamoe.ppo import parse_settings

def _train(c, root, resume):
    "One run in a worker process (one torch thread); its wall time."
    torch.set_num_threads(1); t0 = time.perf_counter()
    continual.run(c, root, progress=False, resume=resume)
    return time.perf_counter() - t0

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='quick', choices=list(continual.PRESETS))
    ap.add_argument('--games', nargs='*', default=None, help="synthetic ids (quick) or Atari names")
    ap.add_argument('--steps-per-game', type=int, default=2048)
    ap.add_argument('--cycles', type=int, default=2)
    ap.add_argument('--capacity-device', type=int, default=None)
    ap.add_argument('--capacity-host', type=int, default=None)
    ap.add_argument('--policy', default=None, choices=['lru', 'lfu', 'lrp'])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--root', default=os.path.join(tempfile.gettempdir(), 'pamoe-continual-runs'), help='run cache')
    ap.add_argument('--no-resume', action='store_true', help='start interrupted runs over instead of resuming them')
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE', help='any other ContinualConfig field (JSON values)')
    ap.add_argument('--parallel', action='store_true', help='train the four runs at once, one process each')
    a = ap.parse_args()
    torch.set_num_threads(1)
    over = dict(steps_per_game=a.steps_per_game, cycles=a.cycles, seed=a.seed)
    if a.games: over['games'] = tuple(int(g) if g.isdigit() else g for g in a.games)
    for k in ('capacity_device', 'capacity_host', 'policy'):
        if getattr(a, k) is not None: over[k] = getattr(a, k)
    over.update(parse_settings(a.set))
    cfg = continual.preset(a.preset, **over)
    runs, configs = {}, {name: continual.ContinualConfig(**{**asdict(cfg), **o}) for name, o in {
        'dense': dict(variant='dense'), 'moe': dict(variant='moe'), 'moe+detector': dict(variant='moe+detector'),
        'moe+detector, no prefetch': dict(variant='moe+detector', prefetch=False)}.items()}
    if a.parallel:                      # train in worker processes; the loop below then loads the finished runs
        with ProcessPoolExecutor(len(configs), mp_context=mp.get_context('spawn')) as ex:
            jobs = {name: ex.submit(_train, c, a.root, not a.no_resume) for name, c in configs.items()}
            for name, j in jobs.items(): print(f"{name}: trained in {j.result():.1f} s (in parallel)", flush=True)
    for name, c in configs.items():
        t0 = time.perf_counter()
        runs[name] = continual.run(c, a.root, progress=True, resume=not a.no_resume)
        print(f"{name}: {'loaded' if a.parallel else f'{time.perf_counter() - t0:.1f} s'} (run {c.key})")
    pd.set_option('display.width', 200); pd.set_option('display.max_columns', 20)
    print(f"\nconfig: {len(cfg.games)} games {cfg.games} x {cfg.cycles} pass(es), {cfg.steps_per_game} steps/game; "
          f"{cfg.layers} layers x {cfg.n_experts} experts, device {cfg.capacity_device}, host {cfg.capacity_host}, {cfg.policy}; "
          f"prefetch top {cfg.prefetch_top} cover {cfg.prefetch_cover} update {cfg.prefetch_update}")
    print("\n# hit rate per tier (whole run)")
    hr = pd.concat([continual.hit_rates(runs[n]['log']).assign(run=n) for n in runs if n != 'dense'])
    t = hr.groupby(['run', 'tier'], sort=False)[['hits', 'misses']].sum(); t['hit_rate'] = t.hits / (t.hits + t.misses)
    print(t.round(4).to_string())
    print("\n# device hit rate per window (moe+detector | no prefetch | moe)")
    w = {n: runs[n]['log'].groupby('window').agg(game=('game', 'first'), h=('device_hits', 'sum'), m=('device_misses', 'sum'))
         for n in ('moe+detector', 'moe+detector, no prefetch', 'moe')}
    print(pd.DataFrame({n: (d.h / (d.h + d.m)).round(3) for n, d in w.items()}).assign(game=w['moe'].game).to_string())
    print("\n# prefetch effectiveness (moe+detector)")
    print(continual.prefetch_effect(runs['moe+detector']['log']).round(4).to_string())
    print("\n# stall with and without prefetching")
    print(continual.stall_compare(runs['moe+detector']['log'], runs['moe+detector, no prefetch']['log']).round(5).to_string())
    print("\n# where the stall comes from: misses and stall (s) of the rollout, its undetected steps and the update, by cause")
    for n in ('moe+detector', 'moe+detector, no prefetch'):
        print(f"## {n}"); print(continual.stall_breakdown(runs[n]['log']).round(4).to_string(index=False))
    print("\n# wall time per iteration (s, mean; the prefetcher shares the CPU with the trainer)")
    print(pd.DataFrame({n: runs[n]['log'][['collect_s', 'update_s']].mean() for n in ('moe+detector', 'moe+detector, no prefetch')}).round(3).to_string())
    print("\n# expert specialisation: I(game; expert) per layer, bits")
    print(pd.concat([continual.specialisation(runs[n]['routing'], cfg.n_experts).assign(run=n) for n in ('moe', 'moe+detector')]).round(3).to_string())
    print("\n# forgetting (score at end of own window - final score) and final score")
    three = {n: runs[n] for n in ('dense', 'moe', 'moe+detector')}
    print(pd.concat([continual.forgetting(r['evals'], n) for n, r in three.items()]).round(3).to_string())
    print(continual.forgetting_summary(three).round(3).to_string())
    print("\n# detector online accuracy per window (moe+detector)")
    print(runs['moe+detector']['log'].groupby('window').agg(game=('game', 'first'), det_acc=('det_acc', 'mean')).round(3).to_string())

if __name__ == '__main__': main()
