"""Tiered expert store against the machine's limits: copy and disk bandwidth, per-tier fetch bandwidth, game schedule.

    python benchmarks/tiered_store.py [--dir /tmp] [--disk-mb 1024] [--sizes-kb 100 1000 8000] [--checksums xxh3 crc32]
                                      [--phase-steps 300] [--repeats 3] [--batch 8 32] [--batch-mb 128]

Limits: host->host copy bandwidth of a 256 MB buffer (torch copy_, best of 5) and the sequential read bandwidth of
a `--disk-mb` file read in 8 MB chunks after fsync + posix_fadvise(POSIX_FADV_DONTNEED), which drops its clean pages
from the page cache, so the reads come from the device (where the kernel honours the advice; a VM's host may still
cache it). The store's fetches are measured the same way: its file is fsynced and dropped before the disk-tier pass,
once per payload checksum (format 3's XXH3, and CRC-32 as format 2 stores had).
With a GPU the device tier lives there, the host tier is pinned, and the limit for the host tier's fetch is the
host->GPU copy bandwidth of a pinned 256 MB buffer (torch copy_, synchronised, best of 5); without one the device tier
is a capped pool of CPU tensors and the host tier's fetch is a host->host copy, measured against that copy. A last
pass fetches from the host tier `--batch` experts a `get`, with `fetch='each'` and `fetch='batched'` (on a GPU, one
kernel reading the pinned host blocks over the link), then again with the experts hinted to the prefetcher `--batch`
at a time. Prints results; asserts nothing.
"""
import os
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[var] = '1'
import argparse, math, tempfile, time
from pathlib import Path
import numpy as np
import torch
from pamoe.tiered import TieredStore, Adam, block_layout, zero_copy_works

def drop_cache(path):
    "fsync `path` and ask the kernel to drop its pages from the page cache."
    fd = os.open(path, os.O_RDONLY)
    try: os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally: os.close(fd)

def copy_bw(nbytes=256 << 20, repeats=5, copies=1, gpu=False):
    """Copy bandwidth (bytes/s) host->host, or with `gpu` pinned host->GPU: best of `repeats` timings of `copies` copies
    of one `nbytes` buffer, each GPU copy synchronised (as the store's fetch of a block under `ASYNC_COPY_BYTES` is);
    with small buffers, the rate a copy's fixed cost allows."""
    a, b = torch.ones(nbytes // 4, pin_memory=gpu), torch.empty(nbytes // 4, device='cuda' if gpu else 'cpu')
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    b.copy_(a); sync(); best = 0
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(copies): b.copy_(a); sync()
        best = max(best, copies * nbytes / (time.perf_counter() - t))
    return best

def disk_bw(folder, mb, chunk=8 << 20):
    "Sequential read bandwidth (bytes/s) of a fresh `mb` MB file after dropping it from the page cache."
    path = Path(folder) / 'pamoe_bench_seq.bin'
    block = np.random.default_rng(0).integers(0, 255, max(chunk, 8 << 20) // chunk * chunk, dtype=np.uint8).tobytes()
    with open(path, 'wb') as f:
        for _ in range(max(1, mb * (1 << 20) // len(block))): f.write(block)     # at least one block (tiny test runs)
    drop_cache(path)
    buf, n = bytearray(chunk), 0
    t = time.perf_counter()
    with open(path, 'rb', buffering=0) as f:
        while (k := f.readinto(buf)): n += k
    bw = n / (time.perf_counter() - t); path.unlink()
    return bw

def ffn_shapes(d, h): return {'w1': (d, h), 'b1': (h,), 'w2': (h, d), 'b2': (d,)}

def tier_bw(folder, size_bytes, total_bytes, repeats=3, checksum='xxh3', shapes=None, optimizer=None, batch=1, fetch='auto',
            host_only=False, by_prefetch=False):
    """Effective fetch bandwidth (bytes/s) of `get` from the disk tier and from the host tier (best of `repeats`), and a
    device hit's latency. Experts are one `size_bytes` tensor, or `shapes` with `optimizer`'s state (`size_bytes` their block).
    The host tier's pass asks for `batch` experts a `get` (the device tier holds `batch`), fetched as `fetch` says;
    `host_only`: skip the slots pass and the page-cache drops (the disk figures are then not measured: 0).
    `by_prefetch`: the host tier's pass hints its `batch` experts (`prefetch` queues them together, so the prefetcher
    finds them together) and waits for the prefetcher to load them, instead of asking for them."""
    n = max(8, total_bytes // size_bytes)
    path = Path(folder) / f'pamoe_bench_{size_bytes}.store'
    if path.exists(): path.unlink()
    TieredStore(path, n, shapes or {'w': (size_bytes // 4,)}, optimizer=optimizer, verify=False, checksum=checksum).close()
    disk = host = slots = 0
    for _ in range(repeats):
        if not host_only:
            drop_cache(path)                           # slots: pread of each expert's newest copy, no checksum
            s = TieredStore(path, verify=False); f, buf = s.file, np.empty(s.nbytes, np.uint8)
            t = time.perf_counter()
            for i in range(n): os.preadv(f.fd, [buf], f._off(i, f._newest(i)[0]))
            slots = max(slots, n * s.nbytes / (time.perf_counter() - t)); s.close()
            drop_cache(path)
        s = TieredStore(path, capacity={'device': batch, 'host': n}, verify=False, fetch=fetch)
        t = time.perf_counter()
        for i in range(n): s.get([i])                  # disk -> host -> device, every expert once, in order
        if not host_only: disk = max(disk, s.stats()['bytes_disk_read'] / (time.perf_counter() - t))
        s.reset_stats(); t = time.perf_counter()
        for j in range(0, n, batch):                   # host -> device (all in the host tier now)
            ids = range(j, min(n, j + batch))
            if by_prefetch: s.prefetch(ids); s.wait_prefetch()
            else: s.get(ids)
        if torch.cuda.is_available(): torch.cuda.synchronize()    # a GPU fetch only queues its copy: count it done
        host = max(host, s.stats()['bytes_host_to_device'] / (time.perf_counter() - t))
        t = time.perf_counter()
        for _ in range(1000): s.get([n - 1])           # device hit
        hit_us = (time.perf_counter() - t) / 1000 * 1e6
        s.close()
    path.unlink()
    return disk, host, hit_us, slots

def game_schedule(n_games=8, experts_per_game=4, phase_steps=300, n_phases=24, top_k=2, seed=0):
    "A game-like expert schedule: phases of one game each, using top-k of that game's few experts per step."
    rng = np.random.default_rng(seed)
    games = rng.integers(0, n_games, n_phases)
    for p in range(1, n_phases):
        while games[p] == games[p - 1]: games[p] = rng.integers(0, n_games)
    own = np.arange(n_games * experts_per_game).reshape(n_games, experts_per_game)
    phases = [[rng.choice(own[g], top_k, replace=False).tolist() for _ in range(phase_steps)] for g in games]
    return phases, [own[g].tolist() for g in games]

def run_schedule(folder, phases, sets, prefetch, size_bytes=1 << 20, compute_s=2e-4, capacity=None, policy='lru'):
    "Replay the schedule (sleeping `compute_s` per step as the model's compute); the store's stats."
    n = 1 + max(max(s) for s in sets)
    path = Path(folder) / 'pamoe_bench_sched.store'
    if path.exists(): path.unlink()
    s = TieredStore(path, n, {'w': (size_bytes // 4,)}, capacity or {'device': 8, 'host': 0}, policy=policy, verify=False)
    s.flush(); drop_cache(path); s.reset_stats()
    t, cold = time.perf_counter(), 0.0
    for p, steps in enumerate(phases):
        for j, ids in enumerate(steps):
            s.get(ids); time.sleep(compute_s)
            # the detector knows the next phase's experts once this phase is under way
            if prefetch and j == 0 and p + 1 < len(sets): s.prefetch(sets[p + 1])
        if p == 0: cold = s.stats()['stall_s']
    st = s.stats() | {'wall_s': time.perf_counter() - t, 'cold_stall_s': cold}
    s.close(); path.unlink()
    return st

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dir', default=tempfile.gettempdir(), help='folder for the test files (the disk measured)')
    ap.add_argument('--disk-mb', type=int, default=1024, help='size of the sequential-read test file')
    ap.add_argument('--sizes-kb', type=int, nargs='+', default=[100, 1000, 8000], help='expert sizes')
    ap.add_argument('--store-mb', type=int, default=512, help='bytes of experts per size in the bandwidth pass')
    ap.add_argument('--checksums', nargs='+', default=['xxh3', 'crc32'], help="payload checksums to measure ('xxh3', 'crc32')")
    ap.add_argument('--phase-steps', type=int, default=300, help='steps per game phase in the schedule')
    ap.add_argument('--repeats', type=int, default=3, help='schedule runs per configuration (the median is shown)')
    ap.add_argument('--batch', type=int, nargs='*', default=[8, 32], help="experts per get in the batched host-tier pass (none: skip it)")
    ap.add_argument('--batch-mb', type=int, default=128, help='bytes of experts per size in the batched host-tier pass')
    args = ap.parse_args()
    torch.set_num_threads(1)
    gpu = torch.cuda.is_available()
    print(f"device tier: {torch.cuda.get_device_name() if gpu else 'CPU pool (no GPU: host->GPU not measured here)'}; files in {args.dir}; "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work slows the CPU-bound tiers)")
    cbw, dbw = copy_bw(), disk_bw(args.dir, args.disk_mb)
    print(f"limit  host->host copy (256 MB, torch copy_, best of 5): {cbw / 1e9:6.2f} GB/s")
    lim, lim_name = (copy_bw(gpu=True), 'h2d') if gpu else (cbw, 'copy')    # the host tier's fetch is a copy to the device tier
    if gpu: print(f"limit  host->GPU copy (256 MB pinned, torch copy_, synchronised, best of 5): {lim / 1e9:6.2f} GB/s")
    print(f"limit  disk sequential read ({args.disk_mb} MB, 8 MB reads, page cache dropped): {dbw / 1e9:6.2f} GB/s")
    print("per expert size: the store's get() bandwidth from each tier (best of 3), as % of the limits above; for reference\n"
          "  raw: the disk's sequential read bandwidth in reads of the expert's size (contiguous file, cache dropped)\n"
          "  slots: pread of every expert's newest copy in the store's file, in order (a new store: the copies lie back\n"
          "         to back in the first copy region), no checksum, cache dropped; the store's disk tier as % of each" +
          ("\n  h2d raw: 200 synchronised pinned host->GPU copies of the expert's size; the store's host tier as % of it" if gpu else ""))
    print(f"{'expert':>8} {'checksum':>8} {'disk tier GB/s':>15} {'% disk':>7} {'host tier GB/s':>15} {'% ' + lim_name:>7} {'device hit us':>14}"
          f" {'raw GB/s':>9} {'% raw':>6} {'slots GB/s':>11} {'% slots':>8}" + (f" {'h2d raw GB/s':>13} {'% h2d raw':>10}" if gpu else ""))
    for kb, cs in [(kb, cs) for kb in args.sizes_kb for cs in args.checksums]:
        size = kb * 1000 // 4 * 4
        if cs == args.checksums[0]: raw = disk_bw(args.dir, min(args.disk_mb, args.store_mb), chunk=size)
        d, h, us, sl = tier_bw(args.dir, size, args.store_mb << 20, checksum=cs)
        if gpu and cs == args.checksums[0]: hraw = copy_bw(size, copies=200, gpu=True)
        print(f"{kb:>6}KB {cs:>8} {d / 1e9:15.2f} {100 * d / dbw:6.0f}% {h / 1e9:15.2f} {100 * h / lim:6.0f}% {us:14.1f}"
              f" {raw / 1e9:9.2f} {100 * d / raw:5.0f}% {sl / 1e9:11.2f} {100 * d / sl:7.0f}%" +
              (f" {hraw / 1e9:13.2f} {100 * h / hraw:9.0f}%" if gpu else ""))
    d, h = 64, 96                       # an FFN expert with Adam state: 13 tensors in a block, the layout a MoE layer stores
    size = 4 * sum(math.prod(s) for _, s in block_layout(ffn_shapes(d, h), Adam(1e-3)))     # float32 block bytes
    dd, hh, us, _ = tier_bw(args.dir, size, args.store_mb << 20, shapes=ffn_shapes(d, h), optimizer=Adam(1e-3))
    print(f"FFN expert {d}x{h} with Adam state ({size / 1e3:.0f} KB in 13 tensors): disk tier {dd / 1e9:.2f} GB/s ({100 * dd / dbw:.0f}%), "
          f"host tier {hh / 1e9:.2f} GB/s ({100 * hh / lim:.0f}% of {lim_name}" +
          (f", {100 * hh / copy_bw(size, copies=200, gpu=True):.0f}% of h2d raw" if gpu else "") + f"), device hit {us:.1f} us")
    if args.batch:
        fetches = ['each', 'batched'] if not gpu or zero_copy_works() else ['each']
        print(f"host tier -> device tier, k experts a get (the device tier holds k), best of 3, as % of {lim_name}: 'each' copies "
              f"one expert at a time, 'batched' all of a get's host-tier misses in one copy" +
              ("" if 'batched' in fetches else " (not measured: no kernel reads pinned host memory here)"))
        print(f"{'expert':>8} {'k':>4}" + ''.join(f" {f + ' GB/s':>13} {'%':>5}" for f in fetches))
        for by_prefetch in (False, True):
            if by_prefetch: print("the same through the prefetcher: k hints queued at once, then waiting for them to be loaded")
            for kb in args.sizes_kb:
                size = kb * 1000 // 4 * 4
                for k in args.batch:
                    bw = [tier_bw(args.dir, size, args.batch_mb << 20, batch=k, fetch=f, host_only=True, by_prefetch=by_prefetch)[1]
                          for f in fetches]
                    print(f"{kb:>6}KB {k:>4}" + ''.join(f" {b / 1e9:13.2f} {100 * b / lim:4.0f}%" for b in bw))
    phases, sets = game_schedule(phase_steps=args.phase_steps)
    print(f"game schedule: {len(phases)} phases x {args.phase_steps} steps, 8 games x 4 experts of 1 MB, top-2 per step, "
          f"0.2 ms compute per step, device tier 8 experts, no host tier (misses read the file), page cache dropped")
    res = {}
    print(f"  (median of {args.repeats} runs by stall time)")
    for policy in ('lru', 'lfu', 'lrp'):
        for pf in (False, True):
            runs = sorted((run_schedule(args.dir, phases, sets, pf, policy=policy) for _ in range(args.repeats)), key=lambda r: r['stall_s'])
            st = res[policy, pf] = runs[len(runs) // 2]
            print(f"  {policy} {'prefetch   ' if pf else 'demand-only'}: device hit rate {st['device_hit_rate']:6.1%}  "
                  f"stall {st['stall_s'] * 1e3:7.1f} ms (first phase {st['cold_stall_s'] * 1e3:5.1f})  prefetch hits {st['prefetch_hits']:4d} late {st['prefetch_late']:3d} "
                  f"wasted {st['prefetch_wasted']:3d}  disk reads {st['disk_reads']:4d}  wall {st['wall_s']:.2f} s")
        (a, a0), (b, b0) = [(res[policy, pf]['stall_s'], res[policy, pf]['cold_stall_s']) for pf in (False, True)]
        print(f"  {policy}: prefetch cuts stall {a / max(b, 1e-9):.1f}x in all, {(a - a0) / max(b - b0, 1e-9):.1f}x after the "
              f"first phase (cold for both: no game seen yet to predict from)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

if __name__ == '__main__': main()
