"""Environment steps per second of pamoe/ABR-v0 on one CPU thread, observation and reward included.

    python benchmarks/sim_speed.py [--seconds 3] [--sizes 1 64 1024 8192]

Training mode (random trace and start, delay noise) over `pensieve-train` and `envivio` when they are available
(PAMOE_DATA or data/), otherwise over synthetic traces (said in the output). Prints one line per configuration.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, time
import numpy as np
from pamoe.data import have, load_traces, load_video, synthetic_traces, synthetic_video
from pamoe.env import ABREnv, ABRVectorEnv
from pamoe.sim import PensieveSession

def rate(fn, steps_per_call, seconds, repeats=5):
    "Steps per second of `fn` in `repeats` windows of `seconds / repeats`: (best, median), as timeit reports the best."
    fn()                                                   # warm up
    rates = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < seconds / repeats:
            fn(); n += 1
        rates.append(n * steps_per_call / elapsed)
    return max(rates), float(np.median(rates))

def show(label, r, unit='env steps/s'): print(f"{label:<40} best {r[0]:>12,.0f}   median {r[1]:>12,.0f} {unit}")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seconds', type=float, default=5.0, help='measuring time per configuration (5 windows)')
    ap.add_argument('--sizes', type=int, nargs='+', default=[1, 64, 1024, 8192], help='numbers of sessions')
    args = ap.parse_args()
    if have('pensieve-train') and have('envivio'): traces, video, src = load_traces('pensieve-train'), load_video('envivio'), 'pensieve-train + envivio'
    else: traces, video, src = synthetic_traces(127, seed=0), synthetic_video(seed=0), 'synthetic traces (pensieve-train not found)'
    print(f"data: {src}; training mode; random actions; one thread; best and median of 5 windows")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        env = ABRVectorEnv(n, traces, video, mode='train')
        env.reset(seed=0)
        acts = rng.integers(0, 6, (256, n)); i = [0]
        def step():
            env.step(acts[i[0] % 256]); i[0] += 1
        show(f"ABRVectorEnv N={n}", rate(step, n, args.seconds))
    env = ABREnv(traces, video, mode='train'); env.reset(seed=0)
    acts = rng.integers(0, 6, 4096); j = [0]
    def single():
        _, _, term, _, _ = env.step(acts[j[0] % 4096]); j[0] += 1
        if term: env.reset()
    show("ABREnv (scalar reference engine)", rate(single, 1, args.seconds))
    sess = PensieveSession(traces, video.sizes, mode='train', rng=np.random.default_rng(0)); k = [0]
    def scalar():
        sess.download(int(acts[k[0] % 4096])); k[0] += 1
    show("scalar reference simulator alone", rate(scalar, 1, args.seconds), 'chunks/s')

if __name__ == '__main__': main()
