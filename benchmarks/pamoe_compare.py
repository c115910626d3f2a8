"""MLP, MoE, SMoE and PA-MoE (and PA-MoE with the reference's non-learning router) under the `change` schedule:
the paper's metric, the IQM of per-episode returns over the 30%-95% part of training, per seed and as a mean over
seeds with a 95% t-interval (issue 4's comparison).

    python benchmarks/pamoe_compare.py --out runs/compare [--steps 2000000] [--phase-steps 200000] [--seeds 1 2 3]
                                       [--variants mlp moe smoe pamoe pamoe-ref pamoe-balanced] [--set FIELD=VALUE ...]
                                       [--single [--jobs 2]]

Every variant is the `pamoe` preset with only the networks changed (`pamoe.population.ARCHITECTURES`), so each gets
the same tuning budget: none beyond the preset. The seeds of one variant train as one population, in a run folder
under `--out` named by the hash of its configs (`pamoe.population.compare_architectures`): a finished run is read,
not retrained, and an interrupted one resumes. `--steps` and `--phase-steps` scale the budget together (the paper:
2,000,000 and 200,000, ten content phases). Writes `<out>/compare.csv` (per seed) and prints the table, with each
variant's difference from MLP paired by seed.

`--single` trains every (variant, seed) as its own single run instead (`pamoe.ppo.train`, so the numpy engine of
`pamoe.numpy_engine`; the population trains through autograd), `--jobs` at a time in separate processes, each in a
folder `single/<variant>-s<seed>-<hash>` with a `DONE` marker; finished runs are read, interrupted ones resume.
Needs pensieve-train and envivio (PAMOE_DATA or data/).
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')
import argparse, hashlib, time
from multiprocessing import Pool
from pathlib import Path
import pandas as pd
from pamoe.population import ARCHITECTURES, PAPER_VARIANTS, compare_architectures, architecture_configs, training_iqm
from pamoe.evaluate import stats
from pamoe.ppo import parse_settings, config_json, train

def single_run(job):
    "Train one (variant, seed) single run to its end in `out` unless it is DONE; its row of the table."
    variant, cfg, out, window = job
    if not (out / 'DONE').exists():
        t0 = time.time()
        train(cfg, out, progress=False)
        (out / 'DONE').write_text(f'{(time.time() - t0) / 60:.2f}\n')
    m = training_iqm(pd.read_csv(out / 'episodes.csv').assign(agent=0), cfg.total_steps, window)
    return dict(variant=variant, seed=cfg.seed, iqm=float(m.iqm.iloc[0]), episodes=int(m.episodes.iloc[0]),
                minutes=float((out / 'DONE').read_text()))

def compare_single(root, variants, seeds, jobs, window=(0.3, 0.95), **overrides) -> pd.DataFrame:
    "The comparison from single runs, `jobs` processes at a time: one row per (variant, seed)."
    work = []
    for v in variants:
        for cfg in architecture_configs(v, seeds, **overrides):
            digest = hashlib.sha256(config_json(cfg).encode()).hexdigest()[:12]
            work.append((v, cfg, Path(root) / 'single' / f'{v}-s{cfg.seed}-{digest}', window))
    with Pool(jobs) as pool:
        rows = []
        for r in pool.imap(single_run, work):
            print(f"{r['variant']:14s} seed {r['seed']}: IQM {r['iqm']:8.3f}  ({r['minutes']:.1f} min)", flush=True)
            rows.append(r)
    return pd.DataFrame(rows)

def paired(df, base='mlp'):
    "Each variant minus `base`, paired by seed: mean and 95% t-interval."
    key = 'seed' if 'seed' in df else 'agent'
    wide = df.pivot(index=key, columns='variant', values='iqm')
    diffs = pd.concat([pd.DataFrame({'variant': v, key: wide.index, 'diff': wide[v] - wide[base]}) for v in wide if v != base])
    return stats(diffs, ['diff'], by='variant')

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=2_000_000)
    ap.add_argument('--phase-steps', type=int, default=200_000)
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    ap.add_argument('--variants', nargs='+', default=list(PAPER_VARIANTS), choices=list(ARCHITECTURES))
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE')
    ap.add_argument('--single', action='store_true', help='single runs (numpy engine) instead of one population per variant')
    ap.add_argument('--jobs', type=int, default=2, help='--single: runs at a time')
    args = ap.parse_args()
    overrides = parse_settings(args.set)
    if args.single:
        df = compare_single(args.out, args.variants, tuple(args.seeds), args.jobs, total_steps=args.steps,
                            phase_steps=args.phase_steps, tensorboard=False, **overrides)
        report(df, args, Path(args.out) / 'compare_single.csv')
        return
    for name in args.variants:           # one at a time, so each line prints as soon as its variant is done
        m, _, _ = compare_architectures(args.out, [name], tuple(args.seeds), progress=False, total_steps=args.steps,
                                     phase_steps=args.phase_steps, tensorboard=False, **overrides)
        print(f"{name:10s} trained in {m.minutes.iloc[0]:5.1f} min; IQM per seed: " + ', '.join(f'{v:.3f}' for v in m.iqm), flush=True)
    df, _, _ = compare_architectures(args.out, args.variants, tuple(args.seeds), progress=False, total_steps=args.steps,
                                  phase_steps=args.phase_steps, tensorboard=False, **overrides)
    report(df, args, Path(args.out) / 'compare.csv')

def report(df, args, path):
    "Write the per-seed table and print the means, and the differences from MLP paired by seed."
    df.to_csv(path, index=False)
    s = stats(df, ['iqm'], by='variant')
    print(f"\nIQM of per-episode return over 30-95% of {args.steps:,} steps (phases of {args.phase_steps:,}), "
          f"mean over {len(args.seeds)} seeds, 95% t-interval:")
    for _, r in s.iterrows(): print(f"  {r.variant:10s} {r['mean']:8.3f}  [{r.ci_low:8.3f}, {r.ci_high:8.3f}]  n={r.n}")
    if 'mlp' in set(df.variant) and df.variant.nunique() > 1:
        print("minus MLP, paired by seed (mean, 95% t-interval):")
        for _, r in paired(df).iterrows(): print(f"  {r.variant:10s} {r['mean']:8.3f}  [{r.ci_low:8.3f}, {r.ci_high:8.3f}]")

if __name__ == '__main__': main()
