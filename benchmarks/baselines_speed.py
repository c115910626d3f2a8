"""Decisions per second of every classic baseline on one CPU thread, and RobustMPC against its scalar reference.

    python benchmarks/baselines_speed.py [--repeats 3] [--scalar-decisions 20]

One batch of 142 sessions plays `pensieve-test` (142 traces) once in test mode through `ABRVectorEnv` and
`SideTracker`, as the evaluation does; when `pensieve-test` or `envivio` is missing (PAMOE_DATA or data/), 142
synthetic traces stand in (said in the output). Decisions/s counts `policy.act` time only; the RobustMPC line also
gives the whole run (env + tracker + policy). The scalar reference is `mpc_scalar`, a Python loop over the 7,776
plans of one decision, timed on a sample of the decisions RobustMPC met. Best of `--repeats`; prints, never asserts.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, time
import numpy as np
from pamoe.data import have, load_traces, load_video, synthetic_traces, synthetic_video
from pamoe.env import ABRVectorEnv
from pamoe.baselines import SideTracker, get, harmonic_mean, mpc_scalar

class Timed:
    "Wrap a policy: time its `act` calls and keep the sides it saw."
    def __init__(self, policy, keep=False): self.p, self.name, self.seconds, self.decisions, self.keep, self.sides = policy, policy.name, 0.0, 0, keep, []
    def reset(self, n, rng): self.p.reset(n, rng)
    def act(self, obs, side):
        t0 = time.perf_counter(); a = self.p.act(obs, side); self.seconds += time.perf_counter() - t0
        self.decisions += len(a)
        if self.keep: self.sides.append(side)
        return a

def play(traces, video, policy):
    "One episode of every session (one per trace) in test mode: wall seconds of the whole run."
    n = len(traces)
    env = ABRVectorEnv(n, traces, video, mode='test')
    t0 = time.perf_counter()
    obs, info = env.reset(seed=0)
    tracker = SideTracker(n, video); side = tracker.reset(info)
    policy.reset(n, np.random.default_rng(0))
    for _ in range(env.sim.n_chunks - 1):
        obs, _, _, _, info = env.step(policy.act(obs, side))
        side = tracker.update(info)
    return time.perf_counter() - t0

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=3, help='runs per scheme (best is reported)')
    ap.add_argument('--scalar-decisions', type=int, default=20, help='decisions timed with the scalar MPC reference')
    args = ap.parse_args()
    if have('pensieve-test') and have('envivio'): traces, video, src = load_traces('pensieve-test'), load_video('envivio'), 'pensieve-test + envivio'
    else: traces, video, src = synthetic_traces(142, seed=0), synthetic_video(seed=0), 'SYNTHETIC traces (pensieve-test/envivio not found: set PAMOE_DATA)'
    print(f"data: {src}; {len(traces)} sessions in one batch, test mode; one thread; best of {args.repeats}")
    schemes = [('bba', {}), ('bola', {}), ('rate', {}), ('rate', {'robust': True}), ('mpc', {}), ('robustmpc', {}),
               ('robustmpc', {'reference': True}), ('robustmpc', {'horizon': 3})]
    best = {}
    for name, params in schemes:
        runs = []
        for _ in range(args.repeats):
            p = Timed(get(name, **params)); wall = play(traces, video, p); runs.append((p.seconds, wall, p.decisions))
        act_s, wall, decisions = min(runs)
        label = name + ''.join(f' {k}={v}' for k, v in params.items())
        best[label] = (act_s, wall, decisions)
        print(f"{label:<28} {decisions / act_s:>12,.0f} decisions/s   act {act_s:6.3f} s   whole run {wall:6.3f} s")
    # the scalar reference on a sample of the decisions RobustMPC met
    p = Timed(get('robustmpc'), keep=True); play(traces, video, p)
    g = np.random.default_rng(0)
    picks = [(int(t), int(i)) for t, i in zip(g.integers(0, len(p.sides), args.scalar_decisions), g.integers(0, len(traces), args.scalar_decisions))]
    t0 = time.perf_counter()
    for t, i in picks:
        s = p.sides[t]; h = min(5, int(s.chunks_left[i]))
        bw = harmonic_mean(s.throughput_mbps[i:i + 1])[0]           # (the error discount does not change the cost)
        mpc_scalar(s.buffer_s[i], int(s.last_quality[i]), bw, s.sizes.T[s.chunk[i]:s.chunk[i] + h], s.bitrates_kbps)
    scalar = args.scalar_decisions / (time.perf_counter() - t0)
    act_s, wall, decisions = best['robustmpc']
    print(f"{'scalar MPC reference':<28} {scalar:>12,.1f} decisions/s   ({args.scalar_decisions} decisions timed)")
    print(f"vectorised / scalar RobustMPC h=5: {decisions / act_s / scalar:,.0f}x")
    print(f"RobustMPC h=5 over the whole test set: {wall:.3f} s (env + tracker + policy; policy alone {act_s:.3f} s; target < 2 s)")

if __name__ == '__main__': main()
