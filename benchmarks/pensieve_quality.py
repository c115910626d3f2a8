"""QoE on pensieve-test against wall-clock training time, for a PPO preset (issue 4's quality target).

    python benchmarks/pensieve_quality.py --minutes 60 --out runs/quality [--preset pensieve] [--set FIELD=VALUE ...]

Trains in chunks of `--chunk` iterations (resuming the run folder: a folder with a `quality.csv` continues, counting
the minutes it has trained against `--minutes`), and after each chunk scores the latest agent on
pensieve-test under the pensieve protocol (pamoe.evaluate) twice: greedily (the most likely quality) and sampled
(a quality drawn from the policy, which is how Pensieve's `rl_test.py` and Pensieve-PPO's `test.py` choose, so their
published 0.925 and 0.986 are sampled scores). Prints one line per chunk, with the share of scored chunks fetched at
each of the 6 qualities under the greedy policy (a policy that has stopped choosing some qualities shows it here), and
writes `quality.csv` in the run folder. Model selection without looking at the test set: each agent is also scored on
the training traces (pensieve-train, same protocol: no random starts or delay noise), and the best so far is kept,
per mode: `best.pt` (greedy) and `best_sampled.pt` (sampled); each line ends with their pensieve-test QoE. Needs
pensieve-train, pensieve-test and envivio (PAMOE_DATA or data/). Ends with a summary of the run (`--summary DIR`
prints it for a run already made): per mode, the test QoE's median per 10-minute window, the share of scores >= 0.95
in the last 10 minutes, and the latest and the selected agent's scores.

`--ema D` also scores an average of the agents: after each chunk, average <- D * average + (1 - D) * latest, over
every floating-point tensor of the model (an exponential average of snapshots taken every chunk, whose horizon is
about 1 / (1 - D) chunks), written as `ema.pt` (the latest checkpoint with the averaged model). Its test and training
QoE go in `quality.csv` as `ema_qoe`, `ema_train_qoe` and, sampled, `ema_sampled_qoe`.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')
import argparse, shutil, time
from pathlib import Path
import pandas as pd
from pamoe import ppo, evaluate
from pamoe.ppo import parse_settings

MODES = {'greedy': '', 'sampled': 'sampled_'}      # column prefix of each mode's scores in quality.csv

def summary(table:pd.DataFrame, target:float=0.95) -> str:
    """Per mode (greedy, and sampled when the run scored it): medians of the test QoE per 10 minutes of training, the
    last 10 minutes against `target`, latest and selected agents, and the average of the agents when the run scored
    one (`--ema`)."""
    t = table.assign(window=(table.minutes // 10 * 10).astype(int))
    last, end, lines = t[t.minutes > t.minutes.max() - 10], t.iloc[-1], []
    def windows(col): return ' '.join(f"{w}-{w + 10}: {q:.3f}" for w, q in t.groupby('window')[col].median().items())
    def tail(col): return f"{(last[col] >= target).mean():.0%} of {len(last)} scores >= {target}, min {last[col].min():.3f}"
    for mode, p in MODES.items():
        if f'{p}qoe' not in t: continue
        lines += [f"{mode}: test QoE median per 10 min: {windows(p + 'qoe')}",
                  f"  last 10 min: {tail(p + 'qoe')}, max {last[p + 'qoe'].max():.3f}",
                  f"  latest agent ({end.minutes:.1f} min, step {int(end.global_step):,}): {end[p + 'qoe']:.4f}" +
                  (f"; selected on the training traces (step {int(end[p + 'selected_step']):,}): {end[p + 'selected_qoe']:.4f}"
                   if f'{p}selected_qoe' in t else '')]
        if f'ema_{p}qoe' in t:
            lines.append(f"  average of the agents: median per 10 min: {windows(f'ema_{p}qoe')}; last 10 min: "
                         f"{tail(f'ema_{p}qoe')}; at the end {end[f'ema_{p}qoe']:.4f}")
    return '\n'.join(lines)

def scores(agent) -> dict:
    """Pensieve-test QoE of `agent`, greedy (with its 95% interval and the share of each quality) and sampled, and its
    training-trace QoE in both modes."""
    def qoe(greedy, traces, frame=False):
        f = evaluate.run(ppo.AgentPolicy(agent, greedy=greedy), traces, 'envivio', scheme='ppo')
        return (f, evaluate.summary(f)) if frame else float(evaluate.summary(f).qoe.iloc[0])
    frame, s = qoe(True, 'pensieve-test', frame=True)
    shares = frame[frame.scored].quality.value_counts(normalize=True).reindex(range(6), fill_value=0.0)
    return dict(qoe=float(s.qoe.iloc[0]), qoe_ci_low=float(s.qoe_ci_low.iloc[0]), qoe_ci_high=float(s.qoe_ci_high.iloc[0]),
                **{f'quality_{q}': float(v) for q, v in shares.items()}, train_qoe=qoe(True, 'pensieve-train'),
                sampled_qoe=qoe(False, 'pensieve-test'), sampled_train_qoe=qoe(False, 'pensieve-train'))

def average_into(ema:dict|None, model:dict, decay:float) -> dict:
    "Exponential average of state dicts: floating-point tensors averaged, the others taken from `model`."
    if ema is None: return {k: v.clone() for k, v in model.items()}
    return {k: ema[k].mul_(decay).add_(v, alpha=1 - decay) if v.is_floating_point() else v.clone() for k, v in model.items()}

def replace_file(src:Path, dst:Path):
    shutil.copyfile(src, dst.with_suffix('.pt.tmp')); os.replace(dst.with_suffix('.pt.tmp'), dst)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='pensieve')
    ap.add_argument('--minutes', type=float, default=60.0, help='training wall-clock budget')
    ap.add_argument('--chunk', type=int, default=5, help='iterations between evaluations')
    ap.add_argument('--out')
    ap.add_argument('--summary', metavar='DIR', help='print the summary of the run in DIR (its quality.csv) and exit')
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE')
    ap.add_argument('--ema', type=float, default=None, metavar='D', help='also score an exponential average of the agents (decay D per chunk)')
    args = ap.parse_args()
    if args.summary: print(summary(pd.read_csv(Path(args.summary) / 'quality.csv'))); return
    if not args.out: ap.error('--out is required (or --summary DIR)')
    overrides = parse_settings(args.set)
    cfg = ppo.preset(args.preset, **overrides)
    if args.ema is not None and not 0 < args.ema < 1: ap.error(f'--ema must lie in (0, 1), not {args.ema}')
    out, rows, trained, ema = Path(args.out), [], 0.0, None
    if (out / 'quality.csv').exists() and (out / 'last.pt').exists():   # continue the run: its budget, scores and selections
        rows = pd.read_csv(out / 'quality.csv').to_dict('records')
        trained = rows[-1]['minutes'] * 60
        if args.ema is not None and (out / 'ema.pt').exists(): ema = ppo.load_checkpoint(out / 'ema.pt')['model']
        print(f"continuing {out}: {len(rows)} scores, {trained / 60:.1f} min trained")
    print(f"preset {args.preset}: {cfg.num_envs} sessions x {cfg.num_steps} steps per iteration; budget {args.minutes} min")
    while trained < args.minutes * 60:
        t0 = time.perf_counter()
        run, log = ppo.train(cfg, out_dir=out, iterations=args.chunk, progress=False)
        trained += time.perf_counter() - t0
        agent = ppo.load_agent(out / 'last.pt')
        row = dict(minutes=trained / 60, global_step=int(log.global_step.iloc[-1])) | scores(agent)
        for mode, p in MODES.items():                  # keep the agent the training traces prefer, per mode
            before = pd.Series([r.get(p + 'train_qoe') for r in rows], dtype=float).max()   # NaN: none scored this way yet
            if pd.isna(before) or row[p + 'train_qoe'] > before:
                replace_file(out / 'last.pt', out / ('best.pt' if mode == 'greedy' else 'best_sampled.pt'))
                row |= {p + 'selected_step': row['global_step'], p + 'selected_qoe': row[p + 'qoe']}
            else: row |= {k: rows[-1][k] for k in (p + 'selected_step', p + 'selected_qoe')}
        if args.ema is not None:
            ema = average_into(ema, agent.state_dict(), args.ema)
            agent.load_state_dict(ema); e = scores(agent)
            row |= dict(ema_qoe=e['qoe'], ema_train_qoe=e['train_qoe'], ema_sampled_qoe=e['sampled_qoe'])
            ppo.save_checkpoint(ppo.load_checkpoint(out / 'last.pt') | dict(model=ema), out / 'ema.pt')
        rows.append(row); pd.DataFrame(rows).to_csv(out / 'quality.csv', index=False)
        print(f"{row['minutes']:6.1f} min  {row['global_step']:>10,} steps  pensieve-test QoE greedy {row['qoe']:.4f} "
              f"[{row['qoe_ci_low']:.3f}, {row['qoe_ci_high']:.3f}] sampled {row['sampled_qoe']:.4f}  qualities " +
              ' '.join(f"{row[f'quality_{q}']:.2f}" for q in range(6)) +
              f"  train {row['train_qoe']:.4f} / {row['sampled_train_qoe']:.4f}; selected test {row['selected_qoe']:.4f} / "
              f"{row['sampled_selected_qoe']:.4f}" + (f"; average {row['ema_qoe']:.4f} / {row['ema_sampled_qoe']:.4f}" if args.ema is not None else ''),
              flush=True)
    print(summary(pd.DataFrame(rows)))

if __name__ == '__main__': main()
