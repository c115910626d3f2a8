"""Training speed of `pamoe.continual` on Atari: env steps per second of the rollout and of the PPO update, per
iteration, for one variant of a preset, and the hours that preset's budget would take at that speed.

    python benchmarks/atari_speed.py [--preset atari-fast] [--game Pong] [--iterations 6] [--set FIELD=VALUE ...]

One torch thread (the machine's other core stays free, as in `benchmarks/continual.py`). The first iteration is left
out of the medians (it pays for the first expert loads). Evaluation is off. Prints, never asserts.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, tempfile, time
from dataclasses import replace
import torch
from pamoe import continual
from pamoe.ppo import parse_settings

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='atari-fast', choices=[p for p, c in continual.PRESETS.items() if c.get('env') == 'atari'])
    ap.add_argument('--game', default='Pong')
    ap.add_argument('--iterations', type=int, default=6)
    ap.add_argument('--set', nargs='*', default=[], metavar='FIELD=VALUE', help='any other ContinualConfig field (JSON values)')
    a = ap.parse_args()
    torch.set_num_threads(1)
    budget = continual.preset(a.preset)
    over = dict(games=(a.game,), eval_episodes=1, eval_max_steps=1, checkpoint_every=0) | parse_settings(a.set)
    cfg = continual.preset(a.preset, **over)
    cfg = replace(cfg, steps_per_game=a.iterations * cfg.batch_size)
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        res = continual.run(cfg, root, progress=True, resume=False)
        wall = time.perf_counter() - t0
    log = res['log'].iloc[1:]
    collect, update = log.collect_s.median(), log.update_s.median()
    rate = cfg.batch_size / (collect + update)
    total = len(budget.games) * budget.steps_per_game * budget.cycles
    print(f"{cfg.variant} on {a.game}, {cfg.iterations_per_game} iterations of {cfg.batch_size} steps "
          f"({cfg.num_envs} sessions x {cfg.num_steps}; {cfg.update_epochs} epochs x {cfg.num_minibatches} minibatches): {wall:.1f} s in all")
    print(f"per iteration (median of {len(log)}): rollout {collect:.2f} s ({cfg.batch_size / collect:.0f} steps/s), "
          f"update {update:.2f} s; {rate:.0f} env steps/s")
    print(f"the {a.preset} preset's {total:,} steps ({len(budget.games)} games x {budget.steps_per_game:,}) at this speed: "
          f"{total / rate / 3600:.1f} h per run, before evaluation")

if __name__ == '__main__': main()
