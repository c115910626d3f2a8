"""Benchmark scripts that CI can run at a toy size: they must keep working between the sessions that measure with them."""
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_h2d_batched_dry_run():
    "On the CPU the batched-fetch benchmark runs its three GPU-free paths, each checked against the host blocks."
    r = subprocess.run([sys.executable, ROOT/'benchmarks'/'h2d_batched.py', '--device', 'cpu', '--sizes-kb', '4',
                        '--batches', '1', '4', '--host-experts', '8', '--repeats', '1', '--limit-mb', '4'],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [l for l in r.stdout.splitlines() if 'KB' in l and '%' in l]
    assert len(rows) == 2 * 3, r.stdout
    assert not any('zero-copy' in l for l in rows)


def test_h2d_batched_checks_the_copies():
    "A path that copies the wrong blocks is caught (the check is what makes a GPU run's numbers trustworthy)."
    sys.path.insert(0, str(ROOT/'benchmarks'))
    try: import h2d_batched
    finally: sys.path.pop(0)
    import torch
    host, dev, staging = torch.randn(8, 16), torch.empty(4, 16), torch.empty(4, 16)
    src = torch.tensor([5, 1, 7])
    for name, fetch in h2d_batched.paths(host, dev, staging, None).items():
        dev.zero_(); fetch(src)
        assert torch.equal(dev[:3], host[src]), name
        assert not torch.equal(dev[:3], host[src.flip(0)]), name
