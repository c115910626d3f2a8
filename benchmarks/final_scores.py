"""Final agents of finished `pamoe.continual` runs, evaluated again with more episodes, next to random play.

    python benchmarks/final_scores.py RUN_DIR [RUN_DIR ...] [--repeats 8] [--random]

A run evaluates each game with `eval_episodes` episodes (4 in the Atari presets), too few to tell a small score from
random play: Breakout's random play scored 0.75 in one 4-episode evaluation and 1.44 ± 0.15 over 32 episodes. This
script rebuilds each run's final agent (with its task detector) from the run's `last.pt` and calls
`continual.evaluate` `--repeats` times with new seeds. Each call plays `eval_episodes` episodes, one per session when
they are no more than `num_envs` (as in the presets), so short episodes are not favoured. It prints each game's mean ± standard error over the calls, and with `--random` the
same for uniform random play (the first run's config). The run folders are only read: the store is rebuilt in a
temporary folder.
"""
import argparse, json, sys, tempfile
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from pamoe import continual
from pamoe.task_detector import FrameReplay

sys.path.insert(0, str(Path(__file__).parent))
from forgetting import RandomPlay

def final_agent(run_dir, tmp):
    "(config, agent, detector, store) of finished run `run_dir`, as its last checkpoint left them; the store in folder `tmp`."
    run_dir = Path(run_dir)
    cfg = continual.ContinualConfig(**json.loads((run_dir / 'config.json').read_text()))
    ck = continual.load_state(run_dir / 'last.pt', cfg)
    if (ck['window'], ck['done']) != (len(cfg.windows), 0): raise ValueError(f"{run_dir}: its last checkpoint is not the end of the sequence")
    agent, opt, store, det, pf = continual.build(cfg, Path(tmp) / 'experts.store')
    replay = FrameReplay(len(cfg.games), 256, cfg.stack, seed=cfg.seed) if det is not None else None
    envs = continual.GameEnvs(cfg)
    try: continual.load_objects(ck, agent, opt, store, det, pf, replay, envs, torch.Generator())
    finally: envs.close()
    return cfg, agent, det, store

def scores(agent, cfg, det=None, repeats=8, name='') -> pd.DataFrame:
    "Tidy frame (name, game, repeat, score): `repeats` evaluations of each game, seeds apart from the runs' own."
    return pd.DataFrame([dict(name=name, game=str(g), repeat=r, score=continual.evaluate(agent, cfg, gi, det, seed=20_000 + 1000 * r))
                         for gi, g in enumerate(cfg.games) for r in range(repeats)])

def summary(df:pd.DataFrame) -> pd.DataFrame:
    "Mean and standard error of the mean over repeats, per name and game."
    g = df.groupby(['name', 'game'], sort=False).score
    return pd.DataFrame(dict(mean=g.mean(), se=g.std(ddof=1) / np.sqrt(g.count()), evaluations=g.count()))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('runs', nargs='+', help='finished run folders (with last.pt)')
    ap.add_argument('--repeats', type=int, default=8, help='evaluations of eval_episodes episodes each, per game')
    ap.add_argument('--random', action='store_true', help='also random play, with the first run config')
    a = ap.parse_args()
    torch.set_num_threads(1)
    frames = []
    for d in a.runs:
        with tempfile.TemporaryDirectory() as tmp:
            cfg, agent, det, store = final_agent(d, tmp)
            try: frames.append(scores(agent, cfg, det, a.repeats, f'{cfg.variant} ({Path(d).name})'))
            finally:
                if store is not None: store.close()
    if a.random:
        cfg = continual.ContinualConfig(**json.loads((Path(a.runs[0]) / 'config.json').read_text()))
        frames.append(scores(RandomPlay(cfg.actions), cfg, None, a.repeats, 'random play'))
    out = summary(pd.concat(frames, ignore_index=True))
    pd.set_option('display.width', 200)
    print(f"# each evaluation: eval_episodes episodes ({cfg.eval_episodes} in the last run's config); mean and standard error over evaluations")
    print(out.round(2).to_string())

if __name__ == '__main__': main()
