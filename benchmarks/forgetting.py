"""Forgetting where the agents learn: dense / MoE / MoE + task detector trained over a game sequence, several seeds.

    python benchmarks/forgetting.py [--preset synthetic-learn] [--seeds 0 1 2] [--workers 2] [--root DIR] [--set FIELD=VALUE ...]

`benchmarks/continual.py` measures the memory system at budgets where the agents play at random level, so its
forgetting numbers are noise. This script uses the `synthetic-learn` preset of `pamoe.continual` (three synthetic
games, 32,768 steps each, discount 0.9), at which every variant learns each game to near its maximum (64 per
episode; random play scores 64 / 3 = 21.3). The games reward conflicting actions for the same sprite motion (the
rewarded action is the sprite's direction shifted by the game id), so a network that maps motion to action for the
last game fails the earlier ones unless it keeps them apart: that is the forgetting the experts and the task-aware
routing are meant to prevent.

Besides the three agents of `benchmarks/continual.py`, two ablations of MoE + detector: without the load-balancing
loss (`aux_coef=0`; computed per batch, and every batch holds one game, it pushes each game to use every expert), and
without it and with the shared parameters frozen after the first game (`freeze_shared`: from then on only the
experts and the routers' per-game biases learn); and both again with one policy and one value head per game
(`task_heads`), chosen by the detected game; and the last of these with the load-balancing loss back on, where the
games share experts. Then the load-balancing loss across games (`balance='tasks'`: -I(game; expert) over the games
seen, which lets each game keep to its own experts) with shared heads, and with per-game heads and a frozen network;
and per-game heads with the shared parameters learning at a tenth of the lr after the first game (`shared_lr=0.1`).

On Atari (the three agents shared two cores for about 1.5 hours; at this budget they still play within the
evaluation's noise of random play):

    python benchmarks/forgetting.py --preset atari-fast --seeds 0 --variants dense moe moe+detector --root runs/atari
        --set games='["Boxing","Breakout"]' steps_per_game=262144 eval_max_steps=10000 checkpoint_every=16

Trains (or loads, cached under `--root` by config hash; interrupted runs resume) the variants for each seed,
`--workers` runs at a time in separate processes with one torch thread each, then prints:
- per MoE variant, the share of each game's tokens on its home experts, I(game; expert) and the number of experts
  in use (2 ** H(expert)), both averaged over layers and seeds;
- per MoE variant and window, the device-tier hit rate, the stall and the number of experts the window's game uses
  (a run-wide hit rate can hide one window that thrashes);
- the learning curves: each window's mean training episode return in quarters of the window (mean over seeds);
- random play's score (uniform actions, the same evaluation episodes);
- the score of every game seen after each window (mean over seeds), the accuracy matrix of continual learning;
- per variant and game, the score at the end of its own window, at the end of the sequence, and forgetting
  (own - final), each as the mean over seeds with a 95% t-interval;
- per variant, mean final score and mean forgetting over games (mean and 95% t-interval over seeds), the store's
  device-tier hit rate and stall time over the run (same statistics; device tier 6 and host tier 6 of 16 experts by
  default), and the wall time of a run.
Prints, never asserts.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, tempfile, time
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp
from dataclasses import replace
import numpy as np, pandas as pd
import torch
from pamoe import continual
from pamoe.moe_agent import home_experts
from pamoe.evaluate import t_quantile
from pamoe.ppo import parse_settings

VARIANTS = {'dense': dict(variant='dense'), 'moe': dict(variant='moe'), 'moe+detector': dict(variant='moe+detector'),
            # the load-balancing loss (per batch, and a batch holds one game) spreads every game over all experts
            'moe+detector, no balance': dict(variant='moe+detector', aux_coef=0.0),
            # ... and the encoder, attention, norms, router weights and heads frozen after the first game
            'moe+detector, no balance, frozen': dict(variant='moe+detector', aux_coef=0.0, freeze_shared=True),
            # one policy and one value head per game (chosen by the detected game), shared parameters trained or frozen
            'moe+detector, no balance, game heads': dict(variant='moe+detector', aux_coef=0.0, task_heads=True),
            'moe+detector, no balance, game heads, frozen': dict(variant='moe+detector', aux_coef=0.0, task_heads=True, freeze_shared=True),
            # the same with the load-balancing loss: the games share experts, so later games train earlier games' experts
            'moe+detector, game heads, frozen': dict(variant='moe+detector', task_heads=True, freeze_shared=True),
            # a balance loss across games (-I(game; expert) over the games seen) in place of the per-batch one
            'moe+detector, balance across games': dict(variant='moe+detector', balance='tasks'),
            # ... which is 0 while one game has been seen: also hold each game to the device tier's share of a layer
            'moe+detector, balance across games, spread cap': lambda base: dict(variant='moe+detector', balance='tasks',
                                                                                spread_cap=base.capacity_device / base.layers),
            # ... with one head per game and the shared parameters at a tenth of the lr after the first game: the
            # cap keeps the games on separate experts, the heads and the slower shared network protect the rest
            'moe+detector, spread cap, game heads, shared lr x0.1': lambda base: dict(variant='moe+detector', balance='tasks',
                spread_cap=base.capacity_device / base.layers, task_heads=True, shared_lr=0.1),
            'moe+detector, balance across games, game heads, frozen': dict(variant='moe+detector', balance='tasks', task_heads=True, freeze_shared=True),
            # between trainable and frozen: the shared parameters learn at a tenth of the lr after the first game
            'moe+detector, no balance, game heads, shared lr x0.1': dict(variant='moe+detector', aux_coef=0.0, task_heads=True, shared_lr=0.1)}

def _train(c, root):
    "One run in a worker process (one torch thread); its wall time (0 when it was cached)."
    torch.set_num_threads(1)
    cached = (Path(root) / c.key / 'DONE').exists()
    t0 = time.perf_counter()
    continual.run(c, root, progress=False)
    return 0.0 if cached else time.perf_counter() - t0

def entropy_bits(counts) -> float:
    "Entropy in bits of the distribution that `counts` are proportional to."
    p = np.asarray(counts, float); p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())

def experts_in_use(routing:pd.DataFrame) -> float:
    "2 ** H(expert) of routing counts (columns layer, expert, count), mean over layers."
    return float(np.mean([2 ** entropy_bits(l.groupby('expert')['count'].sum()) for _, l in routing.groupby('layer')]))

def per_window(run:dict) -> pd.DataFrame:
    """One run's store and routing in each window: the window's game, the device-tier hit rate and stall, and the
    experts in use by the game (2 ** H(expert), mean over layers). A run-wide hit rate can hide a window that thrashes."""
    log, routing = run['log'], run['routing']
    w = log.groupby('window').agg(game=('game', 'first'), hits=('device_hits', 'sum'), misses=('device_misses', 'sum'),
                                  stall_s=('stall_s', 'sum'))
    w['device hit %'] = 100 * w.hits / (w.hits + w.misses)
    w['experts in use'] = pd.Series({wi: experts_in_use(g) for wi, g in routing.groupby('window')})
    return w[['game', 'device hit %', 'stall_s', 'experts in use']]

class RandomPlay:
    "An agent that plays uniformly at random, for `continual.evaluate` (sampled evaluation draws from its uniform logits)."
    def __init__(self, n_actions:int): self.n_actions = n_actions
    def eval(self): pass
    def train(self): pass
    def __call__(self, obs, task=None, cache=None):
        return torch.zeros(len(obs), self.n_actions), torch.zeros(len(obs))

def interval(x) -> str:
    "mean ± half-width of the 95% t-interval over seeds (just the mean for one seed)."
    x = np.asarray(x, float)
    if len(x) < 2: return f"{x.mean():.2f}"
    return f"{x.mean():.2f} ± {t_quantile(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)):.2f}"

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='synthetic-learn', choices=list(continual.PRESETS))
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument('--workers', type=int, default=2, help='runs trained at once, one process each')
    ap.add_argument('--root', default=os.path.join(tempfile.gettempdir(), 'pamoe-forgetting-runs'), help='run cache')
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE', help='any other ContinualConfig field (JSON values)')
    a = ap.parse_args()
    base = continual.preset(a.preset, **parse_settings(a.set))
    settings = {v: f(base) if callable(f) else f for v, f in VARIANTS.items()}     # a callable: settings that depend on the preset
    configs = {(v, s): replace(base, seed=s, **settings[v]) for s in a.seeds for v in a.variants}
    walls = {}
    with ProcessPoolExecutor(a.workers, mp_context=mp.get_context('spawn')) as ex:
        jobs = {k: ex.submit(_train, c, a.root) for k, c in configs.items()}
        for (v, s), j in jobs.items():
            walls[v, s] = j.result()
            print(f"{v}, seed {s}: {'cached' if not walls[v, s] else f'trained in {walls[v, s]:.0f} s'} (run {configs[v, s].key})", flush=True)
    res = {k: continual.run(c, a.root, progress=False) for k, c in configs.items()}
    evals = pd.concat([r['evals'].assign(variant=v, seed=s) for (v, s), r in res.items()])
    pd.set_option('display.width', 200); pd.set_option('display.max_columns', 20)
    print(f"\nconfig: games {base.games}, {base.steps_per_game} steps each, {base.cycles} pass(es), gamma {base.gamma}, "
          f"{base.layers} layers x {base.n_experts} experts, {base.eval_episodes} evaluation episodes "
          f"({'greedy' if base.eval_greedy else 'sampled'}); seeds {a.seeds}")
    print("\n# routing: share of each game's tokens on its home experts (both layers, seeds pooled; in brackets: the share under uniform routing);")
    print(f"# I(game; expert) in bits (at most {np.log2(min(len(base.games), base.n_experts)):.2f}) and experts in use, 2 ** H(expert) (at most {base.n_experts}), mean over layers and seeds")
    gi = {str(g): i for i, g in enumerate(base.games)}
    homes = {g: home_experts(i, len(base.games), base.n_experts) for g, i in gi.items()}
    for v in a.variants:
        if v == 'dense': continue
        r = pd.concat([res[v, s]['routing'] for s in a.seeds])
        home = r[[e in homes[g] for g, e in zip(r.game, r.expert)]].groupby('game')['count'].sum() / r.groupby('game')['count'].sum()
        mi = np.mean([continual.specialisation(res[v, s]['routing'], base.n_experts).mi_bits.mean() for s in a.seeds])
        used = np.mean([experts_in_use(res[v, s]['routing']) for s in a.seeds])
        print(f"{v}: " + ', '.join(f"game {g} {x:.0%} ({len(homes[g]) / base.n_experts:.0%})" for g, x in home.items())
              + f"; I(game; expert) {mi:.2f} bits, {used:.1f} experts in use")
    print(f"\n# store and routing in each window (mean over seeds): device-tier hit rate, stall, experts in use by the window's game (of {base.n_experts}, mean over layers)")
    for v in a.variants:
        if v == 'dense': continue
        w = pd.concat([per_window(res[v, s]) for s in a.seeds]).groupby(['window', 'game'], sort=False).mean()
        print(f"{v}:\n" + w.round(2).to_string())
    print("\n# learning: mean training episode return in each quarter of each window (mean over seeds)")
    log = pd.concat([r['log'].assign(variant=v, seed=s) for (v, s), r in res.items()])
    log['quarter'] = (log.iteration - 1) % base.iterations_per_game * 4 // base.iterations_per_game + 1
    log['total'] = log.ret.fillna(0) * log.episodes
    q = log.groupby(['variant', 'seed', 'window', 'game', 'quarter'], sort=False)[['total', 'episodes']].sum()
    q = (q.total / q.episodes).groupby(['variant', 'window', 'game', 'quarter'], sort=False).mean().unstack('quarter')
    print(q.round(2).to_string())
    if base.eval_greedy: print("\n# random play: not measured (the evaluation is greedy)")
    else:
        rp = RandomPlay(base.actions)
        print("\n# random play (uniform actions, the same evaluation): "
              + ', '.join(f"{g} {continual.evaluate(rp, base, i):.2f}" for i, g in enumerate(base.games)))
    print(f"\n# score of each game after each window (mean over seeds{'; at most 64' if base.env == 'synthetic' else ''})")
    m = evals.groupby(['variant', 'window', 'after', 'game'], sort=False).score.mean().unstack('game')
    print(m.round(1).to_string())
    f = pd.concat([continual.forgetting(evals[(evals.variant == v) & (evals.seed == s)], v).assign(seed=s)
                   for v in a.variants for s in a.seeds])
    print("\n# per game: own (end of its own window), final (end of the sequence), forgetting = own - final; mean ± 95% t-interval over seeds")
    print(f.groupby(['variant', 'game'], sort=False).agg(**{c: (c, interval) for c in ('own', 'final', 'forgetting')}).to_string())
    per_seed = f.groupby(['variant', 'seed'], sort=False)[['own', 'final', 'forgetting']].mean().reset_index()
    print("\n# per variant, averaged over games, then mean ± 95% t-interval over seeds")
    out = per_seed.groupby('variant', sort=False).agg(**{c: (c, interval) for c in ('own', 'final', 'forgetting')})
    def store(v, f):
        if v == 'dense': return ''
        return interval([f(res[v, s]['log']) for s in a.seeds])
    out['device hit %'] = [store(v, lambda l: 100 * l.device_hits.sum() / (l.device_hits.sum() + l.device_misses.sum())) for v in out.index]
    out['stall s'] = [store(v, lambda l: l.stall_s.sum()) for v in out.index]
    out['run wall s'] = [interval([walls[v, s] for s in a.seeds if walls[v, s]]) if any(walls[v, s] for s in a.seeds) else 'cached'
                         for v in out.index]
    print(out.to_string())

if __name__ == '__main__': main()
