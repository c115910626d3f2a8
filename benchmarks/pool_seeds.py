"""Scores and forgetting pooled over seeds, from the evaluations that `final_scores.py --csv` saved.

    python benchmarks/pool_seeds.py SCORES.csv [SCORES.csv ...] [--runs runs/atari-sb]

A CSV row names its run as `<variant> (<run id>)`; the run's config is read from `--runs/<run id>/config.json`. Runs
whose configs are equal but for the seed and the checkpoint bookkeeping (`checkpoint_every`, `window_snapshots`:
resumes are exact, so neither changes training) are seeds of one agent. An agent is labelled with the most specific
of forgetting.py's variants its config matches.

Per agent and game it prints each seed's mean ± standard error over its evaluations, then the mean over seeds ± the
half-width of the 95% t-interval over the seeds' means (the mean alone for one seed). The interval counts how much
the seeds differ, which on Atari is more than how noisy each seed's evaluation is. Prints, never asserts.
"""
import argparse, re, sys
from dataclasses import replace
from pathlib import Path
import pandas as pd
from pamoe.continual import run_config

sys.path.insert(0, str(Path(__file__).parent))
from forgetting import VARIANTS, interval
from final_scores import summary

BOOKKEEPING = dict(seed=0, checkpoint_every=0, window_snapshots=1)    # fields that do not change what a run learns

def run_id(name:str) -> str:
    "The run id in a `final_scores` row name, `<variant> (<run id>)`."
    m = re.fullmatch(r'.* \((\w+)\)', name)
    if m is None: raise ValueError(f"{name!r} names no run: expected '<variant> (<run id>)'")
    return m.group(1)

def label(cfg) -> str:
    "The most specific of forgetting.py's variants whose settings `cfg` has (its `variant` field when none matches)."
    best, size = cfg.variant, 0
    for name, settings in VARIANTS.items():
        s = settings(cfg) if callable(settings) else settings
        if all(getattr(cfg, k) == v for k, v in s.items()) and len(s) > size: best, size = name, len(s)
    return best

def pool(df:pd.DataFrame, runs:Path, cols=('own', 'final', 'forgetting')) -> tuple:
    """(per seed, pooled): frames of `df`'s evaluations (rows of runs in folder `runs`, random play dropped) per agent,
    game and seed (mean, standard error and count of each of `cols` present), and per agent and game over seeds."""
    df = df[df.name != 'random play'].copy()
    cols = [c for c in cols if c in df.columns]
    df['run'] = df.name.map(run_id)
    cfgs = {r: run_config(runs / r) for r in df.run.unique()}
    df['seed'] = df.run.map(lambda r: cfgs[r].seed)
    agent = {r: replace(c, **BOOKKEEPING).key for r, c in cfgs.items()}      # the config but for the seed and bookkeeping
    df['agent'] = df.run.map(agent)
    names = {agent[r]: label(c) for r, c in cfgs.items()}
    dup = df.groupby(['agent', 'seed']).run.nunique()
    if (dup > 1).any():
        a, s = dup[dup > 1].index[0]
        raise ValueError(f"{names[a]}: seed {s} has two runs, {sorted(df[(df.agent == a) & (df.seed == s)].run.unique())}")
    df['agent'] = df.agent.map(names)
    per_seed = summary(df, cols, ('agent', 'game', 'seed', 'run')).reset_index().sort_values(['agent', 'game', 'seed'])
    h = per_seed.groupby(['agent', 'game'], sort=False)
    pooled = pd.DataFrame({c: h[c].agg(interval) for c in cols} | {'seeds': h.size()})
    return per_seed, pooled

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('scores', nargs='+', type=Path, help='CSV files written by final_scores.py --csv')
    ap.add_argument('--runs', type=Path, default=Path('runs/atari-sb'), help='the folder holding the runs')
    a = ap.parse_args()
    df = pd.concat([pd.read_csv(f, dtype={'game': str}) for f in a.scores], ignore_index=True)
    per_seed, pooled = pool(df, a.runs)
    pd.set_option('display.width', 200); pd.set_option('display.max_colwidth', 60)
    print("# each seed: mean and standard error over its evaluations")
    print(per_seed.round(2).to_string(index=False))
    print("\n# over seeds: mean ± half-width of the 95% t-interval over the seeds' means")
    print(pooled.to_string())

if __name__ == '__main__': main()
