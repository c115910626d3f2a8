"""MLP, MoE, SMoE and PA-MoE (and PA-MoE with the reference's non-learning router) under the `change` schedule:
the paper's metric, the IQM of per-episode returns over the 30%-95% part of training, per seed and as a mean over
seeds with a 95% t-interval (issue 4's comparison).

    python benchmarks/pamoe_compare.py --out runs/compare [--steps 2000000] [--phase-steps 200000] [--seeds 1 2 3]
                                       [--variants mlp moe smoe pamoe pamoe-ref pamoe-balanced] [--set FIELD=VALUE ...]

Every variant is the `pamoe` preset with only the networks changed (`pamoe.population.ARCHITECTURES`), so each gets
the same tuning budget: none beyond the preset. The seeds of one variant train as one population, in a run folder
under `--out` named by the hash of its configs (`pamoe.population.compare_architectures`): a finished run is read,
not retrained, and an interrupted one resumes. `--steps` and `--phase-steps` scale the budget together (the paper:
2,000,000 and 200,000, ten content phases). Writes `<out>/compare.csv` (per seed) and prints the table.
Needs pensieve-train and envivio (PAMOE_DATA or data/).
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')
import argparse
from pathlib import Path
from pamoe.population import ARCHITECTURES, PAPER_VARIANTS, compare_architectures
from pamoe.evaluate import stats
from pamoe.ppo import parse_settings

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=2_000_000)
    ap.add_argument('--phase-steps', type=int, default=200_000)
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    ap.add_argument('--variants', nargs='+', default=list(PAPER_VARIANTS), choices=list(ARCHITECTURES))
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE')
    args = ap.parse_args()
    overrides = parse_settings(args.set)
    for name in args.variants:           # one at a time, so each line prints as soon as its variant is done
        m, _, _ = compare_architectures(args.out, [name], tuple(args.seeds), progress=False, total_steps=args.steps,
                                     phase_steps=args.phase_steps, tensorboard=False, **overrides)
        print(f"{name:10s} trained in {m.minutes.iloc[0]:5.1f} min; IQM per seed: " + ', '.join(f'{v:.3f}' for v in m.iqm), flush=True)
    df, _, _ = compare_architectures(args.out, args.variants, tuple(args.seeds), progress=False, total_steps=args.steps,
                                  phase_steps=args.phase_steps, tensorboard=False, **overrides)
    df.to_csv(Path(args.out) / 'compare.csv', index=False)
    s = stats(df, ['iqm'], by='variant')
    print(f"\nIQM of per-episode return over 30-95% of {args.steps:,} steps (phases of {args.phase_steps:,}), "
          f"mean over {len(args.seeds)} seeds, 95% t-interval:")
    for _, r in s.iterrows(): print(f"  {r.variant:10s} {r['mean']:8.3f}  [{r.ci_low:8.3f}, {r.ci_high:8.3f}]  n={r.n}")

if __name__ == '__main__': main()
