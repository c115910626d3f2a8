"""Scores and forgetting pooled over seeds, from the evaluations that `final_scores.py --csv` saved.

    python benchmarks/pool_seeds.py SCORES.csv [SCORES.csv ...] [--runs runs/atari-sb] [--against dense]

A CSV row names its run as `<variant> (<run id>)`; the run's config is read from `--runs/<run id>/config.json`. Runs
whose configs are equal but for the seed and the checkpoint bookkeeping (`checkpoint_every`, `window_snapshots`:
resumes are exact, so neither changes training) are seeds of one agent. An agent is labelled with the most specific
of forgetting.py's variants its config matches.

Per agent and game it prints each seed's mean ± standard error over its evaluations, then the mean over seeds ± the
half-width of the 95% t-interval over the seeds' means (the mean alone for one seed). The interval counts how much
the seeds differ, which on Atari is more than how noisy each seed's evaluation is. With `--against AGENT`, it also
prints each other agent's difference from AGENT per game, in final score and in forgetting: the difference of the
means over seeds with the half-width of Welch's 95% t-interval (the seeds' spreads may differ between agents), for
agents with two seeds or more. An interval that holds 0 does not tell the two agents apart. Prints, never asserts.
"""
import argparse, re, sys
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
from pamoe.continual import run_config
from pamoe.evaluate import t_quantile

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

def welch(x, y, level:float=0.95) -> tuple:
    "(mean(y) - mean(x), half-width of Welch's `level` t-interval of that difference, its degrees of freedom)."
    x, y = np.asarray(x, float), np.asarray(y, float)
    if min(len(x), len(y)) < 2: raise ValueError(f"Welch's interval needs two values or more in each group, got {len(x)} and {len(y)}")
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff, se = y.mean() - x.mean(), np.sqrt(vx + vy)
    if se == 0: return float(diff), 0.0, float('inf')
    df = (vx + vy)**2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    return float(diff), t_quantile((1 + level) / 2, df) * float(se), float(df)

def against(per_seed:pd.DataFrame, reference:str, col:str='forgetting') -> pd.DataFrame:
    "Per agent (two seeds or more, `reference` aside) and game: its `col` over seeds minus `reference`'s, by `welch`."
    if reference not in set(per_seed.agent): raise ValueError(f"no agent {reference!r}; the agents are {sorted(set(per_seed.agent))}")
    refs = {game: g[col] for game, g in per_seed[per_seed.agent == reference].groupby('game')}
    rows = []
    for (agent, game), g in per_seed.groupby(['agent', 'game']):
        ref = refs.get(game, ())
        if agent == reference or len(g) < 2 or len(ref) < 2: continue
        diff, half, df = welch(ref, g[col])
        rows.append(dict(agent=agent, game=game, difference=round(diff, 2), half_width=round(half, 2),
                         welch_df=round(df, 1), seeds=len(g), reference_seeds=len(ref)))
    return pd.DataFrame(rows, columns=['agent', 'game', 'difference', 'half_width', 'welch_df', 'seeds', 'reference_seeds'])

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('scores', nargs='+', type=Path, help='CSV files written by final_scores.py --csv')
    ap.add_argument('--runs', type=Path, default=Path('runs/atari-sb'), help='the folder holding the runs')
    ap.add_argument('--against', metavar='AGENT', help="also print each agent's final score and forgetting minus AGENT's (e.g. dense)")
    a = ap.parse_args()
    df = pd.concat([pd.read_csv(f, dtype={'game': str}) for f in a.scores], ignore_index=True)
    per_seed, pooled = pool(df, a.runs)
    pd.set_option('display.width', 200); pd.set_option('display.max_colwidth', 60)
    print("# each seed: mean and standard error over its evaluations")
    print(per_seed.round(2).to_string(index=False))
    print("\n# over seeds: mean ± half-width of the 95% t-interval over the seeds' means")
    print(pooled.to_string())
    for col in ('final', 'forgetting') if a.against else ():
        print(f"\n# {col} minus {a.against}'s: difference of the means over seeds ± half-width of Welch's 95% t-interval")
        print(against(per_seed, a.against, col).to_string(index=False))

if __name__ == '__main__': main()
