"""Env steps/s of population training (`pamoe.population`) for P = 1, 4, 16 agents of the `pamoe` preset, and the
projected time of P x 2,000,000 steps next to P separate single-agent runs (`pamoe.ppo.PPO`).

    python benchmarks/population_speed.py [--iterations 3] [--agents 1 4 16] [--backend bmm vmap] [--no-single] [--engines auto torch] [--workers 2]

Every agent is the `pamoe` preset's network (flat trunk, PA-MoE policy and value nets) with its own seed; one torch
thread. Each configuration runs one warm-up iteration, then `--iterations` timed ones (an iteration: 2,000 env steps
per agent, then 5 epochs x 32 minibatches of every agent at once). env steps/s counts all agents' steps over the
whole wall time (rollout and update); the projection is wall time per iteration x 1,000 iterations (2,000,000 steps
per agent). The single-agent line times `pamoe.ppo.PPO` the same way; `P x single` is P times its projection, the
cost of P separate runs one after the other. Traces are `pensieve-train` x2 filtered to mean > 3 Mbps when present
(PAMOE_DATA or data/), else synthetic (said in the output). Prints the load average (timings on a shared machine
vary). `--engines` compares the numpy engine (`auto`: `pamoe.numpy_engine`, the default) with autograd (`torch`),
for the population and the single run alike. `--workers W` also times the population split between W processes
(`pamoe.population.train_sharded`, one core each): each builds its share, warms up, waits for the others, then times
its iterations; the projection takes the slowest. Prints, never asserts. The target: P = 16 in under 20 minutes on a
2-core CPU.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, multiprocessing, time
import torch
from pamoe.data import have, synthetic_traces, synthetic_video
from pamoe.ppo import PPO, preset
from pamoe.population import Population

STEPS = 2_000_000

def configs(P, traces, engine='auto'):
    return [preset('pamoe', policy='pamoe', value='pamoe', seed=s + 1, tensorboard=False, threads=1, engine=engine,
                   **({} if traces is None else dict(trace_split=None))) for s in range(P)]

def timed(step, iterations):
    "Seconds per call of `step` after one warm-up call."
    step()
    t0 = time.perf_counter()
    for _ in range(iterations): step()
    return (time.perf_counter() - t0) / iterations

def share(P, a, b, traces, video, engine, backend, iterations, barrier):
    "A worker: agents a..b-1 of a population of P as one population; seconds per iteration once all workers are ready."
    torch.set_num_threads(1)
    pop = Population(configs(P, traces, engine)[a:b], traces=traces, video=video, backend=backend)
    pop.iteration()
    barrier.wait()
    t0 = time.perf_counter()
    for _ in range(iterations): pop.iteration()
    return (time.perf_counter() - t0) / iterations

def sharded(P, workers, traces, video, engine, backend, iterations):
    "Seconds per iteration of the slowest of `workers` processes sharing P agents."
    from concurrent.futures import ProcessPoolExecutor
    from pamoe.population import shard_bounds
    bounds = shard_bounds(P, workers)
    ctx = multiprocessing.get_context('spawn')
    barrier = ctx.Manager().Barrier(len(bounds))
    with ProcessPoolExecutor(len(bounds), mp_context=ctx) as pool:
        return max(pool.map(share, *zip(*[(P, a, b, traces, video, engine, backend, iterations, barrier) for a, b in bounds])))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--iterations', type=int, default=3)
    ap.add_argument('--agents', type=int, nargs='+', default=[1, 4, 16])
    ap.add_argument('--backend', nargs='+', default=['bmm'], choices=['bmm', 'vmap'])
    ap.add_argument('--no-single', action='store_true', help='skip the single-agent PPO baseline')
    ap.add_argument('--engines', nargs='+', default=['auto'], choices=['auto', 'numpy', 'torch'])
    ap.add_argument('--workers', type=int, nargs='+', default=[1], help='also time populations split between this many processes')
    a = ap.parse_args()
    torch.set_num_threads(1)
    traces = video = None
    if not (have('pensieve-train') and have('envivio')):
        traces, video = synthetic_traces(64, seed=0, max_mbps=12.0), synthetic_video(seed=0)
        print("pensieve-train or envivio missing: 64 synthetic traces (0.2-12 Mbps) and a synthetic video stand in")
    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()}), torch threads 1, {a.iterations} timed iterations")
    for engine in a.engines:
        single = None
        if not a.no_single:
            cfg = configs(1, traces, engine)[0]
            run = PPO(cfg, None, traces, video)
            single = timed(run.iteration, a.iterations)
            print(f"single-agent PPO ({engine:5s})  : env steps/s {cfg.batch_size / single:8.0f}  iteration {single * 1000:7.0f} ms  "
                  f"-> 2,000,000 steps in {single * STEPS / cfg.batch_size / 60:6.1f} min")
        for backend in a.backend:
            for P in a.agents:
                for W in a.workers:
                    cfgs = configs(P, traces, engine)
                    if W == 1:
                        pop = Population(cfgs, traces=traces, video=video, backend=backend)
                        per_it = timed(pop.iteration, a.iterations)
                    else: per_it = sharded(P, W, traces, video, engine, backend, a.iterations)
                    its = STEPS / cfgs[0].batch_size
                    line = (f"population P={P:2d} ({backend}, {engine:5s}, {W} process{'es' if W > 1 else '  '}): env steps/s {P * cfgs[0].batch_size / per_it:8.0f}  "
                            f"iteration {per_it * 1000:7.0f} ms  -> {P} x 2,000,000 steps in {per_it * its / 60:6.1f} min")
                    if single is not None: line += f"   ({P} x single: {P * single * its / 60:6.1f} min)"
                    print(line, flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
