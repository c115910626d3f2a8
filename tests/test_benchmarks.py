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


def test_final_scores_rebuilds_the_final_agent(tmp_path):
    "final_scores rebuilds a finished run's final agent exactly: at the run's own seed it scores what the run's last evaluation did."
    sys.path.insert(0, str(ROOT/'benchmarks'))
    try: import final_scores
    finally: sys.path.pop(0)
    from pamoe import continual
    tiny = dict(games=(0, 1), steps_per_game=256, num_envs=8, num_steps=16, episode_steps=16, eval_episodes=8, eval_max_steps=64,
                d=16, expert_hidden=16, n_experts=4, capacity_device=3, capacity_host=3, channels=(4, 8))
    cfg = continual.preset('quick', variant='moe+detector', **tiny)
    res = continual.run(cfg, tmp_path, progress=False)
    last = res['evals'][res['evals'].window == res['evals'].window.max()]
    cfg2, agent, det, store = final_scores.final_agent(tmp_path/cfg.key, tmp_path/'rebuilt')
    try:
        assert cfg2 == cfg
        for gi, want in zip(last.game_index, last.score): assert continual.evaluate(agent, cfg, gi, det) == want
        df = final_scores.scores(agent, cfg, det, repeats=2, name='x')
    finally: store.close()
    assert list(df.columns) == ['name', 'game', 'repeat', 'score'] and len(df) == 2 * 2
    s = final_scores.summary(df)
    assert (s.evaluations == 2).all() and s['mean'].between(0, 64).all()
    r = subprocess.run([sys.executable, ROOT/'benchmarks'/'final_scores.py', tmp_path/cfg.key, '--repeats', '2', '--random'],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert 'random play' in r.stdout and 'moe+detector' in r.stdout
