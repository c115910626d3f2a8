"""Benchmark scripts that CI can run at a toy size: they must keep working between the sessions that measure with them."""
import importlib, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(name):
    "The module of benchmarks/NAME.py (the scripts import each other from their own folder)."
    sys.path.insert(0, str(ROOT/'benchmarks'))
    try: return importlib.import_module(name)
    finally: sys.path.pop(0)


def test_h2d_batched_dry_run():
    "On the CPU the batched-fetch benchmark runs its three GPU-free paths, each checked against the host blocks."
    r = subprocess.run([sys.executable, ROOT/'benchmarks'/'h2d_batched.py', '--device', 'cpu', '--sizes-kb', '4',
                        '--batches', '1', '4', '--host-experts', '8', '--repeats', '1', '--limit-mb', '4'],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [l for l in r.stdout.splitlines() if 'KB' in l and '%' in l]
    assert len(rows) == 2 * 3, r.stdout
    assert not any('zero-copy' in l for l in rows)


def test_tiered_store_runs_small(tmp_path):
    """The store benchmark runs end to end at tiny sizes, with its batched host-tier passes (by `get`, then through the
    prefetcher) for both fetch paths on the CPU."""
    r = subprocess.run([sys.executable, ROOT/'benchmarks'/'tiered_store.py', '--dir', str(tmp_path), '--sizes-kb', '4',
                        '--store-mb', '1', '--disk-mb', '1', '--checksums', 'xxh3', '--phase-steps', '5', '--repeats', '1',
                        '--batch', '2', '4', '--batch-mb', '1'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [l.split() for l in r.stdout.splitlines() if l.strip().startswith('4KB')]
    batched = [l for l in rows if len(l) == 6]                     # expert, k, each GB/s, %, batched GB/s, %
    assert [l[1] for l in batched] == ['2', '4'] * 2 and all(float(l[2]) > 0 and float(l[4]) > 0 for l in batched), r.stdout
    assert 'prefetch cuts stall' in r.stdout


def test_h2d_batched_checks_the_copies():
    "A path that copies the wrong blocks is caught (the check is what makes a GPU run's numbers trustworthy)."
    import torch
    h2d_batched = bench('h2d_batched')
    host, dev, staging = torch.randn(8, 16), torch.empty(4, 16), torch.empty(4, 16)
    src = torch.tensor([5, 1, 7])
    for name, fetch in h2d_batched.paths(host, dev, staging, None).items():
        dev.zero_(); fetch(src)
        assert torch.equal(dev[:3], host[src]), name
        assert not torch.equal(dev[:3], host[src.flip(0)]), name


def test_final_scores_rebuilds_the_agents(tmp_path):
    """final_scores rebuilds a finished run's agents exactly: at the run's own seed, the final agent scores what the run's
    last evaluation did, and each window's checkpoint what the run's evaluation after that window did."""
    final_scores = bench('final_scores')
    from pamoe import continual
    tiny = dict(games=(0, 1), steps_per_game=256, num_envs=8, num_steps=16, episode_steps=16, eval_episodes=8, eval_max_steps=64,
                d=16, expert_hidden=16, n_experts=4, capacity_device=3, capacity_host=3, channels=(4, 8))
    cfg = continual.preset('quick', variant='moe+detector', checkpoint_every=1, window_snapshots=2, **tiny)   # 2 iterations a window
    evals = continual.run(cfg, tmp_path, progress=False)['evals']
    run_dir = tmp_path/cfg.key
    for window in (None, 0, 1):
        cfg2, agent, det, store = final_scores.agent_at(run_dir, tmp_path/f'rebuilt{window}', window)
        try:
            assert cfg2 == cfg
            w = evals.window.max() if window is None else window
            for gi, want in zip(evals[evals.window == w].game_index, evals[evals.window == w].score):
                assert continual.evaluate(agent, cfg, gi, det) == want, (window, gi)
        finally: store.close()
    df = final_scores.run_scores(run_dir, repeats=2, forgetting=True)
    assert list(df.columns) == ['name', 'game', 'repeat', 'snapshot', 'final', 'own', 'forgetting'] and len(df) == 2 * 2
    assert (df.forgetting == df.own - df.final).all() and (df.snapshot == 0).all()
    s = final_scores.summary(df, ('own', 'final', 'forgetting'))
    assert (s.evaluations == 2).all() and s['final'].between(0, 64).all()
    assert final_scores.end_checkpoints(run_dir, None, True) == [(1, 1), (None, None)]
    ds = final_scores.run_scores(run_dir, repeats=2, forgetting=True, snapshots=True)       # repeat r: snapshot r
    assert ds.snapshot.tolist() == ds.repeat.tolist() == [0, 1, 0, 1]
    cfg2, agent, det, store = final_scores.agent_at(run_dir, tmp_path/'snap', 0, 1)         # window 0's snapshot, at repeat 0's seed
    try: assert ds.own[(ds.game == '0') & (ds.repeat == 0)].item() == continual.evaluate(agent, cfg, 0, det, seed=20_000)
    finally: store.close()
    assert (ds[ds.repeat == 1].drop(columns='snapshot').values == df[df.repeat == 1].drop(columns='snapshot').values).all()  # the ends
    with pytest.raises(ValueError, match='leaves some of the 2 snapshots'): final_scores.run_scores(run_dir, 1, snapshots=True)
    (run_dir/'window0.pt').unlink()
    with pytest.raises(FileNotFoundError, match='window0.pt does not exist'): final_scores.run_scores(run_dir, 1, forgetting=True)
    with pytest.raises(ValueError, match='not the checkpoint at the end of window 0'):
        (run_dir/'window0.pt').hardlink_to(run_dir/'window1.pt'); final_scores.agent_at(run_dir, tmp_path/'x', 0)
    r = subprocess.run([sys.executable, ROOT/'benchmarks'/'final_scores.py', run_dir, '--repeats', '2', '--random',
                        '--csv', tmp_path/'scores.csv'], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert 'random play' in r.stdout and 'moe+detector' in r.stdout
    import pandas as pd
    saved = pd.read_csv(tmp_path/'scores.csv', dtype={'game': str})
    assert len(saved) == 2 * 2 * 2 and saved.name.str.contains('moe\\+detector').sum() == 4              # 2 games x 2 repeats, 2 agents
    agent_rows = saved[~saved.name.eq('random play')].drop(columns='snapshot').reset_index(drop=True)
    assert (agent_rows[['game', 'repeat', 'final']].values == df[['game', 'repeat', 'final']].values).all()  # what run_scores gave


def test_forgetting_per_window():
    "The per-window store table: each window's own hit rate and stall, and the experts its game uses."
    import pandas as pd
    forgetting = bench('forgetting')
    log = pd.DataFrame(dict(window=[0, 0, 1], game=['a', 'a', 'b'], device_hits=[3, 1, 10], device_misses=[1, 3, 0],
                            stall_s=[0.5, 0.25, 0.0]))
    routing = pd.DataFrame(dict(window=[0] * 6 + [1] * 2, layer=[0, 0, 0, 0, 1, 1, 0, 1], expert=[0, 1, 2, 3, 0, 0, 5, 7],
                                count=[5, 5, 5, 5, 4, 6, 9, 9]))
    w = forgetting.per_window(dict(log=log, routing=routing))
    assert list(w.game) == ['a', 'b']
    assert list(w['device hit %']) == [50.0, 100.0] and list(w.stall_s) == [0.75, 0.0]
    assert w['experts in use'].tolist() == pytest.approx([(4 + 1) / 2, 1.0])   # layer 0 uniform over 4, layer 1 one expert


def test_pool_seeds(tmp_path):
    """pool_seeds groups runs that differ only in seed and checkpoint bookkeeping, labels them with forgetting.py's
    most specific variant, and pools each seed's mean over its evaluations; two runs of one seed are refused."""
    final_scores, pool_seeds, forgetting = bench('final_scores'), bench('pool_seeds'), bench('forgetting')
    import pandas as pd
    from pamoe import continual
    tiny = dict(games=(0, 1), steps_per_game=256, num_envs=8, num_steps=16, episode_steps=16, eval_episodes=8, eval_max_steps=64,
                d=16, expert_hidden=16, n_experts=4, capacity_device=3, capacity_host=3, channels=(4, 8))
    cfgs = [continual.preset('quick', variant='moe+detector', balance='tasks', seed=0, checkpoint_every=1, window_snapshots=2, **tiny),
            continual.preset('quick', variant='moe+detector', balance='tasks', seed=1, **tiny),
            continual.preset('quick', variant='dense', seed=0, **tiny)]
    for c in cfgs: continual.run(c, tmp_path, progress=False)
    df = pd.concat([final_scores.run_scores(tmp_path/c.key, repeats=2, forgetting=True) for c in cfgs], ignore_index=True)
    per_seed, pooled = pool_seeds.pool(df, tmp_path)
    assert pooled.seeds.to_dict() == {('moe+detector, balance across games', '0'): 2, ('moe+detector, balance across games', '1'): 2,
                                      ('dense', '0'): 1, ('dense', '1'): 1}
    moe = per_seed[(per_seed.agent == 'moe+detector, balance across games') & (per_seed.game == '0')]
    assert moe.seed.tolist() == [0, 1] and (moe.evaluations == 2).all()
    assert pooled.loc[('moe+detector, balance across games', '0'), 'forgetting'] == forgetting.interval(moe.forgetting)
    one = df[df.name.str.contains(cfgs[0].key)]
    assert moe.forgetting.iloc[0] == one[one.game == '0'].forgetting.mean()
    again = continual.preset('quick', variant='moe+detector', balance='tasks', seed=0, **tiny)   # seed 0, other bookkeeping
    continual.run(again, tmp_path, progress=False)
    with pytest.raises(ValueError, match='seed 0 has two runs'):
        pool_seeds.pool(pd.concat([df, final_scores.run_scores(tmp_path/again.key, repeats=1)]), tmp_path)
    with pytest.raises(ValueError, match="names no run"): pool_seeds.run_id('dense')


def test_pool_seeds_against():
    "Welch's interval for a difference of means over seeds, against hand-computed values, and the table built on it."
    import numpy as np, pandas as pd
    from pamoe.evaluate import t_quantile
    pool_seeds = bench('pool_seeds')
    diff, half, df = pool_seeds.welch([1, 2, 3], [4, 5, 6])        # equal spreads and sizes: df = 2 (n - 1)
    assert diff == 3 and df == pytest.approx(4) and half == pytest.approx(t_quantile(0.975, 4) * np.sqrt(2 / 3))
    diff, half, df = pool_seeds.welch([0, 2], [4, 8, 6, 10])       # variances of the means 1 and 5/3
    assert diff == 6 and df == pytest.approx((8 / 3)**2 / (1 + (5 / 3)**2 / 3))
    assert half == pytest.approx(t_quantile(0.975, df) * np.sqrt(8 / 3))
    assert pool_seeds.welch([0, 0], [1, 1]) == (1.0, 0.0, float('inf'))
    with pytest.raises(ValueError, match='two values or more'): pool_seeds.welch([1], [1, 2])
    per_seed = pd.DataFrame(dict(agent=['dense'] * 3 + ['moe'] * 3 + ['one'], game='g', forgetting=[1, 2, 3, 4, 5, 6, 9]))
    t = pool_seeds.against(per_seed, 'dense')
    assert t.agent.tolist() == ['moe'] and t.difference.tolist() == [3] and t.seeds.tolist() == [3]   # 'one' has one seed
    with pytest.raises(ValueError, match="no agent 'densest'"): pool_seeds.against(per_seed, 'densest')
