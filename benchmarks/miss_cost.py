"""What a device-tier miss costs, per device: the fetch alone, and the optimizer work that rides on it.

    python benchmarks/miss_cost.py [--d 64] [--hidden 128] [--reps 300]

One FFN expert shape (`d` x `hidden`, with Adam state) in a store with a one-expert device tier and a host tier holding
every expert; two experts fetched in turn, so every fetch misses the device tier and hits the host tier:
  clean:    nothing else (the host->device copy, eviction of a clean block, bookkeeping);
  dirty:    the resident expert is stepped after each fetch (Adam, now), so each eviction writes it back to the host;
  deferred: the other expert is stepped while evicted, so each fetch applies a deferred Adam step on load;
  adam:     one Adam step on a resident block alone.
Microseconds per fetch (per step for `adam`), on the CPU pool and, where there is one, the GPU. Prints; asserts nothing.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')
import argparse, tempfile, time
from pathlib import Path
import torch
from pamoe.tiered import TieredStore, Adam
from pamoe.moe_layers import expert_shapes

def miss_cost(device, d=64, h=128, reps=300, n=4) -> dict:
    "Microseconds per fetch for each case above, on `device`."
    shapes, folder = expert_shapes(d, h), tempfile.TemporaryDirectory()
    s = TieredStore(Path(folder.name) / 'miss.store', n, shapes, {'device': 1, 'host': n}, optimizer=Adam(1e-3), device=device)
    grads = {k: torch.full(sh, 1e-3, device=device) for k, sh in shapes.items()}
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    for i in range(n): s.get([i])                                  # every expert in the host tier
    out = {}
    for case in ('clean', 'dirty', 'deferred'):
        sync(); t = time.perf_counter()
        for r in range(reps):
            i = r % 2
            s.get([i])
            if case == 'dirty': s.accumulate(i, grads); s.step()        # resident: stepped now, so dirty
            if case == 'deferred': s.accumulate(1 - i, grads); s.step() # evicted: its step waits for the next load
        sync(); out[case] = (time.perf_counter() - t) / reps * 1e6
    s.get([0]); views = s.dev[0].views
    sync(); t = time.perf_counter()
    for _ in range(reps): s.optimizer.apply(views, grads)
    sync(); out['adam'] = (time.perf_counter() - t) / reps * 1e6
    s.close(); folder.cleanup()
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--d', type=int, default=64); ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--reps', type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(1)
    for dev in ['cpu'] + (['cuda'] if torch.cuda.is_available() else []):
        c = miss_cost(dev, a.d, a.hidden, a.reps)
        print(f"{dev:>4}: " + '  '.join(f"{k} {v:6.0f} us" for k, v in c.items()), flush=True)

if __name__ == '__main__': main()
