"""How to fetch many small experts host->GPU near the link's speed: five ways, measured against the link.

    python benchmarks/h2d_batched.py [--sizes-kb 100 1000] [--batches 1 8 32 128] [--host-experts 512] [--repeats 5]
                                     [--limit-mb 256]
    python benchmarks/h2d_batched.py --device cpu      # no GPU: runs the three copy paths that need none, on the CPU

With `fetch='each'` the tiered store fetches one expert per copy. On an H100 a synchronised copy of 100 KB reaches
about 5 GB/s of the link's 52 GB/s: the copy's fixed cost (launch and synchronise, about 20 us) dwarfs its 2 us of
transfer. This script measures which batched path reaches 70% of the link for a batch of `k` experts taken at random
from a pinned host arena of `--host-experts` blocks into the first `k` rows of a device arena:

- `one copy each, synchronised`: what `fetch='each'` does for blocks under 1 MB;
- `queued copies, one synchronise`: `copy_(non_blocking=True)` per expert, one synchronise per batch (the store's path
  for blocks of 1 MB or more, batched);
- `host gather, one copy`: `index_select` on the host into a pinned staging buffer, then one copy (bounded by the
  host's own copy bandwidth);
- `zero-copy gather` (GPU only): the pinned arena seen from the GPU (with unified addressing a pinned block has one
  address for both; `__cuda_array_interface__` hands it to torch as a CUDA tensor), and one `index_select` kernel that
  reads the `k` blocks over the link;
- `zero-copy foreach (the store)` (GPU only): what `TieredStore(fetch='batched')` does, one `torch._foreach_copy_` from
  the `k` host blocks' aliases into `k` separate device blocks (the store's blocks are separate allocations).

Every path's result is checked against the host blocks. The limit is the synchronised copy of one pinned 256 MB buffer
(`--limit-mb`, best of 5). Prints a table; asserts nothing beyond the copies' correctness.
"""
import argparse, time
import torch
from pamoe.tiered import device_alias

def link_bw(device, nbytes=256 << 20, repeats=5):
    "Bytes/s of a synchronised copy of one pinned (on a GPU) `nbytes` buffer to `device`: best of `repeats`."
    gpu = device.type == 'cuda'
    a, b = torch.ones(nbytes // 4, pin_memory=gpu), torch.empty(nbytes // 4, device=device)
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    b.copy_(a); sync(); best = 0.0
    for _ in range(repeats):
        t = time.perf_counter(); b.copy_(a); sync()
        best = max(best, nbytes / (time.perf_counter() - t))
    return best

def paths(host, dev, staging, alias):
    "name -> fetch(src): copies host rows `src` (a CPU index tensor) into dev[:len(src)] and waits for them."
    gpu = dev.device.type == 'cuda'
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    def one_each(src):
        for j, i in enumerate(src.tolist()): dev[j].copy_(host[i]); sync()
    def queued(src):
        for j, i in enumerate(src.tolist()): dev[j].copy_(host[i], non_blocking=gpu)
        sync()
    def host_gather(src):
        k = len(src); torch.index_select(host, 0, src, out=staging[:k]); dev[:k].copy_(staging[:k], non_blocking=gpu); sync()
    out = {'one copy each, synchronised': one_each, 'queued copies, one synchronise': queued, 'host gather, one copy': host_gather}
    if alias is not None:
        def zero_copy(src):
            k = len(src); torch.index_select(alias, 0, src.to(dev.device, non_blocking=True), out=dev[:k]); sync()
        out['zero-copy gather'] = zero_copy
        def zero_copy_foreach(src):                   # the store's batched get: blocks apart on both sides, one kernel
            k = len(src); torch._foreach_copy_(list(dev[:k]), [alias[i] for i in src.tolist()]); sync()
        out['zero-copy foreach (the store)'] = zero_copy_foreach
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes-kb', type=float, nargs='+', default=[100, 1000])
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 8, 32, 128])
    ap.add_argument('--host-experts', type=int, default=512, help='blocks in the pinned host arena (the batch draws from them)')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--limit-mb', type=int, default=256, help="size of the one buffer copied to measure the limit")
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    a = ap.parse_args()
    device = torch.device(a.device); gpu = device.type == 'cuda'
    if not gpu: print("no GPU: the three paths that need none run on the CPU, to check them (their speeds say nothing of a link)")
    limit = link_bw(device, a.limit_mb << 20)
    print(f"limit: {limit / 1e9:.1f} GB/s ({'pinned host -> GPU' if gpu else 'host -> host'}, {a.limit_mb} MB, synchronised, best of 5)")
    g = torch.Generator().manual_seed(0)
    print(f"{'expert':>8} {'batch':>5}  {'path':<32} {'GB/s':>7} {'of limit':>8}")
    for kb in a.sizes_kb:
        numel = int(kb * 1000) // 4; kmax = max(a.batches)
        n = max(a.host_experts, kmax)
        host = torch.randn(n, numel, generator=g).pin_memory() if gpu else torch.randn(n, numel, generator=g)
        staging = torch.empty(kmax, numel, pin_memory=gpu)
        dev = torch.empty(kmax, numel, device=device)
        alias = device_alias(host) if gpu else None
        for k in a.batches:
            for name, fetch in paths(host, dev, staging, alias).items():
                src = torch.randperm(n, generator=g)[:k]
                fetch(src)                                               # warm-up, and the check
                if not torch.equal(dev[:k].cpu(), host[src]): raise AssertionError(f"{name}: wrong blocks at {kb} KB x {k}")
                best = 0.0
                for _ in range(a.repeats):
                    src = torch.randperm(n, generator=g)[:k]
                    t = time.perf_counter(); fetch(src)
                    best = max(best, k * numel * 4 / (time.perf_counter() - t))
                print(f"{kb:>6g}KB {k:>5}  {name:<32} {best / 1e9:>7.2f} {best / limit:>8.0%}", flush=True)

if __name__ == '__main__': main()
