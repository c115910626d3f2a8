"""Finished `pamoe.continual` runs' agents evaluated again with more episodes: final scores, forgetting, random play.

    python benchmarks/final_scores.py RUN_DIR [RUN_DIR ...] [--repeats 8] [--random] [--forgetting] [--snapshots] [--csv OUT]

A run evaluates each game with `eval_episodes` episodes (4 in the Atari presets), too few to tell a small score from
random play: Breakout's random play scored 0.75 in one 4-episode evaluation and 1.44 ± 0.15 over 32 episodes. This
script rebuilds a run's agent (with its task detector) from a checkpoint in the run folder and calls
`continual.evaluate` `--repeats` times with new seeds. Each call plays `eval_episodes` episodes, one per session when
they are no more than `num_envs` (as in the presets), so short episodes are not favoured.

- By default: each game's score at the end of the sequence (`last.pt`), mean ± standard error over the calls.
- `--forgetting`: also each game's score at the end of its own (last) window, from the window's checkpoint
  (`window<W>.pt`, kept by runs trained since 2026-11-23), and forgetting = own - final. Both ends use the same seeds,
  so the standard error of forgetting is that of the paired differences.
- `--snapshots`: each end is the run's snapshots of it (`window<W>-<J>.pt`, kept by runs with `window_snapshots` > 1,
  and the window's own checkpoint) rather than one checkpoint: evaluation r uses the r-th snapshot (cyclically) at both
  ends, so the standard errors count how much the policy changed between snapshots, as well as evaluation noise.
  A table of each snapshot's mean follows.
- `--random`: uniform random play too, with the first run's config.
- `--csv OUT`: also write every evaluation (the tidy frame: name, game, repeat, snapshot, scores) to `OUT`, so scores
  can be pooled over seeds later without evaluating again.

The run folders are only read: the stores are rebuilt in a temporary folder.
"""
import argparse, sys, tempfile
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from pamoe import continual
from pamoe.continual import run_config

sys.path.insert(0, str(Path(__file__).parent))
from forgetting import RandomPlay

def agent_at(run_dir, tmp, window:int|None=None, done:int|None=None):
    """(config, agent, detector, store) of run `run_dir` as the end of window `window` left them (None: the end of the
    sequence), or with `done`, as `done` iterations of window `window` did (a snapshot); the store rebuilt in `tmp`."""
    run_dir = Path(run_dir); cfg = run_config(run_dir)
    path = run_dir / 'last.pt' if window is None else continual.window_checkpoint(run_dir, window, done)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist" + ('' if window is None else ": the run kept no window checkpoints (trained before they were kept)"))
    ck = continual.load_state(path, cfg)
    want = (len(cfg.windows), 0) if window is None else (window + 1, 0) if done is None else (window, done)
    if (ck['window'], ck['done']) != want:
        raise ValueError(f"{path} is not the checkpoint at the end of {'the sequence' if window is None else f'window {window}'}"
                         + ('' if done is None else f' less {cfg.iterations_per_game - done} iterations'))
    Path(tmp).mkdir(parents=True, exist_ok=True)
    agent, opt, store, det, pf = continual.build(cfg, Path(tmp) / 'experts.store')
    envs = continual.GameEnvs(cfg)
    try: continual.load_objects(ck, agent, opt, store, det, pf, continual.new_replay(cfg, det), envs, torch.Generator())
    finally: envs.close()
    return cfg, agent, det, store

def scores(agent, cfg, det=None, repeats=8, name='', games=None) -> pd.DataFrame:
    """Tidy frame (name, game, repeat, score): evaluations of each game (of `games` indices), seeds apart from the runs'
    own; `repeats`: how many (or which repeat numbers: repeat r has seed 20,000 + 1,000 r)."""
    games = range(len(cfg.games)) if games is None else games
    repeats = range(repeats) if isinstance(repeats, int) else repeats
    return pd.DataFrame([dict(name=name, game=str(cfg.games[gi]), repeat=r, score=continual.evaluate(agent, cfg, gi, det, seed=20_000 + 1000 * r))
                         for gi in games for r in repeats])

def end_checkpoints(run_dir, window:int|None, snapshots=False) -> list:
    """(window, done) of the checkpoints that stand for the end of window `window` (None: of the sequence), for
    `agent_at`, oldest first: the end alone, or with `snapshots` also the snapshots the run kept before it."""
    if not snapshots: return [(window, None)]
    w = len(run_config(run_dir).windows) - 1 if window is None else window
    return [(w, j) for j in continual.kept_snapshots(run_dir, w)] + [(window, None)]

def run_scores(run_dir, repeats=8, forgetting=False, snapshots=False) -> pd.DataFrame:
    """Tidy frame (name, game, repeat, snapshot, final[, own, forgetting]) of run `run_dir`: each game's scores at the
    end of the sequence and, with `forgetting`, at the end of its last own window; with `snapshots`, repeat r evaluates
    the end's snapshot r modulo their number (`snapshot`: its position, oldest first; else 0)."""
    cfg = run_config(run_dir); name = f'{cfg.variant} ({Path(run_dir).name})'
    own_window = {gi: w for w, gi in enumerate(cfg.windows)}               # each game's last window
    parts = [('final', None, list(own_window))]
    if forgetting: parts += [('own', w, [gi for gi, v in own_window.items() if v == w]) for w in sorted(set(own_window.values()))]
    frames = []
    ends = {window: end_checkpoints(run_dir, window, snapshots) for _, window, _ in parts}     # window None: the sequence's end
    if len({len(e) for e in ends.values()}) > 1:
        raise ValueError(f"{run_dir}: the window ends kept different numbers of snapshots: {ends}")
    n = len(ends[None])
    if repeats < n: raise ValueError(f"--repeats {repeats} leaves some of the {n} snapshots unevaluated: give at least {n}")
    with tempfile.TemporaryDirectory() as tmp:
        for which, window, games in parts:
            for k, (w, done) in enumerate(ends[window]):
                cfg, agent, det, store = agent_at(run_dir, Path(tmp) / f'{which}{w}-{done}', w, done)
                try: frames.append(scores(agent, cfg, det, range(k, repeats, n), name, games).assign(which=which, snapshot=k))
                finally:
                    if store is not None: store.close()
    df = pd.concat(frames).pivot_table(index=['name', 'game', 'repeat', 'snapshot'], columns='which', values='score', sort=False)
    if forgetting: df['forgetting'] = df['own'] - df['final']
    return df.reset_index().rename_axis(columns=None)

def summary(df:pd.DataFrame, cols=('final',), by=('name', 'game')) -> pd.DataFrame:
    "Mean and standard error of the mean over repeats of each of `cols`, per name and game (or per `by`)."
    g = df.groupby(list(by), sort=False)
    out = {}
    for c in cols: out[c], out[f'{c} se'] = g[c].mean(), g[c].std(ddof=1) / np.sqrt(g[c].count())
    return pd.DataFrame(out | {'evaluations': g.size()})

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('runs', nargs='+', help='finished run folders')
    ap.add_argument('--repeats', type=int, default=8, help='evaluations of eval_episodes episodes each, per game and checkpoint')
    ap.add_argument('--forgetting', action='store_true', help="also each game's score at the end of its own window (window<W>.pt)")
    ap.add_argument('--snapshots', action='store_true', help="each end: the run's snapshots of it (window<W>-<J>.pt), evaluated in turn")
    ap.add_argument('--random', action='store_true', help='also random play, with the first run config')
    ap.add_argument('--csv', type=Path, help='also write every evaluation to this CSV file')
    a = ap.parse_args()
    torch.set_num_threads(1)
    first = run_config(a.runs[0])
    frames = [run_scores(d, a.repeats, a.forgetting, a.snapshots) for d in a.runs]
    if a.random:
        frames.append(scores(RandomPlay(first.actions), first, None, a.repeats, 'random play').rename(columns={'score': 'final'}).assign(snapshot=0))
    cols = ('own', 'final', 'forgetting') if a.forgetting else ('final',)
    df = pd.concat(frames, ignore_index=True)
    if a.csv: a.csv.parent.mkdir(parents=True, exist_ok=True); df.to_csv(a.csv, index=False)
    out = summary(df, cols)
    pd.set_option('display.width', 200)
    print(f"# each evaluation: eval_episodes episodes ({first.eval_episodes} in the first run's config); "
          "mean and standard error over evaluations")
    print(out.round(2).to_string())
    if a.snapshots:
        print("\n# each snapshot (0: the oldest kept; the last: the window's end)")
        print(summary(df, cols, ('name', 'game', 'snapshot')).round(2).to_string())

if __name__ == '__main__': main()
