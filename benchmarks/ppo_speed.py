"""Env steps/s and updates/s of PPO on the `pamoe` preset, and the projected time of its 2,000,000 steps.

    python benchmarks/ppo_speed.py [--iterations 20] [--threads 1 2] [--policy pamoe --value pamoe] [--envs 16] [--engines auto torch]

Runs `pamoe.ppo.PPO` for `--iterations` iterations of the `pamoe` preset (2,000 steps each: 5 epochs x 32
minibatches of the flat-trunk network) once per torch thread count, after one warm-up iteration. Traces are
`pensieve-train` x2 filtered to mean > 3 Mbps when it is present (PAMOE_DATA or data/); otherwise synthetic traces
stand in (said in the output). `--envs 8 16 40` compares ways to split the 2,000 steps of an iteration over
sessions. `--engines` compares the numpy engine (`auto`, the default) with autograd (`torch`) for the minibatch
steps and rollout forwards (`pamoe.numpy_engine`). steps/s counts rollout time only, updates/s update time only (both over all timed iterations); the
projection uses the whole wall time. Prints the load average too (timings on a shared machine vary). Prints, never
asserts. The target: under 5 minutes for 2,000,000 steps on a 2-core CPU.

Side by side, the reference trainer's way of collecting (`--reference`, on by default): CleanRL-style, one
`ABREnv` session stepped one decision at a time with a forward of the same network per step (as PA-MoE's and
Pensieve-PPO's trainers do), timed over 2,000 steps; its projection adds the update time measured above (the same
update), so the difference is the rollout alone.

`--preset pensieve` times the `pensieve` preset instead (20 sessions x 300 steps, 5 passes of 47 minibatches of the
Pensieve-trunk nets; `--envs`, `--policy` and `--value` do not apply, nor the reference rollout) and prints the env
steps an hour of training holds, the quantity issue 4's quality target depends on. `--blas-threads N` gives numpy's
BLAS (OpenBLAS) N threads (default 1; it must be set before numpy loads, so the script reads it first); with
`--threads` it shows what one run gains from a second core:

    python benchmarks/ppo_speed.py --preset pensieve --iterations 4 --threads 1 2 --blas-threads 2
"""
import os, sys
_blas = sys.argv[sys.argv.index('--blas-threads') + 1] if '--blas-threads' in sys.argv[:-1] else '1'
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = _blas
import argparse, time
import numpy as np
import torch
from pamoe.data import have, synthetic_traces, synthetic_video
from pamoe.env import ABREnv
from pamoe.ppo import PPO, build_run_agent, preset, run_traces

def bench(cfg, iterations, threads, traces, video):
    label = f'{cfg.policy}/{cfg.value} {cfg.engine}'
    run = PPO(cfg, build_run_agent(cfg), traces, video)
    run.iteration()                                    # warm-up
    rows, t0 = [], time.perf_counter()
    for _ in range(iterations): rows.append(run.iteration())
    wall = time.perf_counter() - t0
    sps = len(rows) * cfg.batch_size / sum(cfg.batch_size / r['steps_per_s'] for r in rows)      # over all iterations
    ups = sum(r['n_updates'] for r in rows) / sum(r['n_updates'] / r['updates_per_s'] for r in rows)
    per_it = wall / iterations
    proj = per_it * (2_000_000 / cfg.batch_size)
    print(f"{label:26s} envs {cfg.num_envs:3d} x {cfg.num_steps:4d}  threads {threads} (BLAS {_blas}): env steps/s {sps:8.0f}  "
          f"updates/s {ups:6.0f}  iteration {per_it * 1000:6.0f} ms  -> 2,000,000 steps in {proj / 60:5.1f} min, "
          f"{cfg.batch_size / per_it * 3600 / 1e6:5.1f} M steps an hour")
    return run, sum(r['n_updates'] / r['updates_per_s'] for r in rows) / iterations    # update seconds per iteration

@torch.no_grad()
def reference_rollout(agent, traces, video, steps=2000, seed=0):
    "Seconds for `steps` decisions collected the single-env way: one ABREnv, one forward and one step at a time."
    env = ABREnv(traces, video, mode='train', first_quality='random')
    obs, _ = env.reset(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    buf = []
    t0 = time.perf_counter()
    for _ in range(steps):
        logits, value = agent(torch.as_tensor(obs)[None])
        action = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))
        obs2, reward, term, trunc, _ = env.step(action)
        buf.append((obs, action, reward, float(value)))
        obs = env.reset()[0] if term or trunc else obs2
    return time.perf_counter() - t0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--iterations', type=int, default=20)
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--envs', type=int, nargs='+', default=[16], help='sessions; steps per session = 2000 / envs')
    ap.add_argument('--policy', default='pamoe'); ap.add_argument('--value', default='pamoe')
    ap.add_argument('--engines', nargs='+', default=['auto'], choices=['auto', 'numpy', 'torch'])
    ap.add_argument('--no-reference', dest='reference', action='store_false', help='skip the single-env reference rollout')
    ap.add_argument('--preset', default='pamoe', choices=['pamoe', 'pensieve'])
    ap.add_argument('--blas-threads', type=int, default=1, help="numpy's BLAS threads (read before numpy loads)")
    a = ap.parse_args()
    traces = video = None
    if not (have('pensieve-train') and have('envivio')):
        traces, video = synthetic_traces(64, seed=0, max_mbps=12.0), synthetic_video(seed=0)
        print("pensieve-train or envivio missing: 64 synthetic traces (0.2-12 Mbps) and a synthetic video stand in")
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    for envs in a.envs:
        for th in a.threads:
            for engine in a.engines:
                if a.preset == 'pensieve': cfg = preset('pensieve', tensorboard=False, threads=th, engine=engine)
                else: cfg = preset('pamoe', policy=a.policy, value=a.value, num_envs=envs, num_steps=2000 // envs, tensorboard=False,
                                   threads=th, engine=engine, **({} if traces is None else dict(trace_split=None)))
                run, update_s = bench(cfg, a.iterations, th, traces, video)
    if a.reference and a.preset == 'pamoe':
        torch.set_num_threads(1)
        tr = run_traces(cfg) if traces is None else traces
        vid = run.env.unwrapped.video
        roll = min(reference_rollout(run.agent, tr, vid, seed=s) for s in range(3))
        proj = (roll + update_s) * (2_000_000 / 2000)
        print(f"{'reference-style rollout':26s} one ABREnv, 1 step at a time: env steps/s {2000 / roll:8.0f}  "
              f"(+ the same update) -> 2,000,000 steps in {proj / 60:5.1f} min")
