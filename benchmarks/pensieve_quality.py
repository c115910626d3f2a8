"""QoE on pensieve-test against wall-clock training time, for a PPO preset (issue 4's quality target).

    python benchmarks/pensieve_quality.py --minutes 60 --out runs/quality [--preset pensieve] [--set FIELD=VALUE ...]

Trains in chunks of `--chunk` iterations (resuming the run folder), and after each chunk scores the latest agent
greedily on pensieve-test under the pensieve protocol (pamoe.evaluate). Prints one line per chunk, with the share of
scored chunks fetched at each of the 6 qualities (a policy that has stopped choosing some qualities shows it here),
and writes `quality.csv` in the run folder. Model selection without looking at the test set: each agent is also
scored on the training traces (pensieve-train, same protocol: no random starts or delay noise), the best of them so
far is kept as `best.pt`, and each line ends with the pensieve-test QoE of that selected agent. Needs pensieve-train,
pensieve-test and envivio (PAMOE_DATA or data/). Ends with a summary of the run (`--summary DIR` prints it for a run
already made): the test QoE's median per 10-minute window, the share of scores >= 0.95 in the last 10 minutes, and the
latest and the selected agent's scores.

`--ema D` also scores an average of the agents: after each chunk, average <- D * average + (1 - D) * latest, over
every floating-point tensor of the model (an exponential average of snapshots taken every chunk, whose horizon is
about 1 / (1 - D) chunks), written as `ema.pt` (the latest checkpoint with the averaged model). Its test and training
QoE go in `quality.csv` as `ema_qoe` and `ema_train_qoe`.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')
import argparse, shutil, time
from pathlib import Path
import pandas as pd
import torch
from pamoe import ppo, evaluate
from pamoe.ppo import parse_settings

def summary(table:pd.DataFrame, target:float=0.95) -> str:
    """Medians of the test QoE per 10 minutes of training, the last 10 minutes against `target`, latest and selected
    agents, and the same for the average of the agents when the run scored one (`--ema`)."""
    t = table.assign(window=(table.minutes // 10 * 10).astype(int))
    last, end = t[t.minutes > t.minutes.max() - 10], t.iloc[-1]
    def windows(col): return ' '.join(f"{w}-{w + 10}: {q:.3f}" for w, q in t.groupby('window')[col].median().items())
    def tail(col): return f"{(last[col] >= target).mean():.0%} of {len(last)} scores >= {target}, min {last[col].min():.3f}"
    return (f"test QoE median per 10 min: {windows('qoe')}\nlast 10 min: {tail('qoe')}, max {last.qoe.max():.3f}"
            f"\nlatest agent ({end.minutes:.1f} min, step {int(end.global_step):,}): {end.qoe:.4f}" +
            (f"; selected on the training traces (step {int(end.selected_step):,}): {end.selected_qoe:.4f}" if 'selected_qoe' in t else '') +
            (f"\naverage of the agents: median per 10 min: {windows('ema_qoe')}; last 10 min: {tail('ema_qoe')}; "
             f"at the end {end.ema_qoe:.4f}" if 'ema_qoe' in t else ''))

def scores(agent) -> tuple:
    "Greedy QoE of `agent` on pensieve-test (the frame and its summary) and on pensieve-train."
    frame = evaluate.run(ppo.AgentPolicy(agent), 'pensieve-test', 'envivio', scheme='ppo')
    train = float(evaluate.summary(evaluate.run(ppo.AgentPolicy(agent), 'pensieve-train', 'envivio', scheme='ppo')).qoe.iloc[0])
    return frame, evaluate.summary(frame), train

def average_into(ema:dict|None, model:dict, decay:float) -> dict:
    "Exponential average of state dicts: floating-point tensors averaged, the others taken from `model`."
    if ema is None: return {k: v.clone() for k, v in model.items()}
    return {k: ema[k].mul_(decay).add_(v, alpha=1 - decay) if v.is_floating_point() else v.clone() for k, v in model.items()}

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
    print(f"preset {args.preset}: {cfg.num_envs} sessions x {cfg.num_steps} steps per iteration; budget {args.minutes} min")
    while trained < args.minutes * 60:
        t0 = time.perf_counter()
        run, log = ppo.train(cfg, out_dir=out, iterations=args.chunk, progress=False)
        trained += time.perf_counter() - t0
        agent = ppo.load_agent(out / 'last.pt')
        frame, score, train_qoe = scores(agent)
        if args.ema is not None:
            ema = average_into(ema, agent.state_dict(), args.ema)
            agent.load_state_dict(ema); _, ema_score, ema_train = scores(agent)
            ck = ppo.load_checkpoint(out / 'last.pt'); ck['model'] = ema
            torch.save(ck, out / 'ema.pt.tmp'); os.replace(out / 'ema.pt.tmp', out / 'ema.pt')
        if not rows or train_qoe > max(r['train_qoe'] for r in rows):       # keep the agent the training traces prefer
            shutil.copyfile(out / 'last.pt', out / 'best.pt.tmp'); os.replace(out / 'best.pt.tmp', out / 'best.pt')
            selected = (int(log.global_step.iloc[-1]), float(score.qoe.iloc[0]))
        shares = frame[frame.scored].quality.value_counts(normalize=True).reindex(range(6), fill_value=0.0)
        row = dict(minutes=trained / 60, global_step=int(log.global_step.iloc[-1]), qoe=float(score.qoe.iloc[0]),
                   qoe_ci_low=float(score.qoe_ci_low.iloc[0]), qoe_ci_high=float(score.qoe_ci_high.iloc[0]),
                   **{f'quality_{q}': float(v) for q, v in shares.items()},
                   train_qoe=train_qoe, selected_step=selected[0], selected_qoe=selected[1])
        if args.ema is not None: row |= dict(ema_qoe=float(ema_score.qoe.iloc[0]), ema_train_qoe=ema_train)
        rows.append(row); pd.DataFrame(rows).to_csv(out / 'quality.csv', index=False)
        print(f"{row['minutes']:6.1f} min  {row['global_step']:>10,} steps  pensieve-test QoE {row['qoe']:.4f} "
              f"[{row['qoe_ci_low']:.3f}, {row['qoe_ci_high']:.3f}]  qualities " + ' '.join(f"{v:.2f}" for v in shares) +
              f"  train {train_qoe:.4f}; selected (step {selected[0]:,}) test {selected[1]:.4f}" +
              (f"; average {row['ema_qoe']:.4f}" if args.ema is not None else ''), flush=True)
    print(summary(pd.DataFrame(rows)))

if __name__ == '__main__': main()
