"""The figure notebooks run under papermill, honour their injected parameters, and write what they promise."""
import json, os, subprocess, sys
from pathlib import Path
import nbformat, pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / 'nbs' / 'figures'
NOTEBOOKS = sorted(FIGURES.glob('*.ipynb'))
# the figures each notebook saves (each as PNG, SVG and a JSON sidecar)
PROMISED = {'traces': ['traces_bandwidth', 'traces_mean_bandwidth'],
            'baselines': [f'baselines_{s}_{f}' for s in ('pensieve-test', 'pensieve-train')
                          for f in ('qoe_cdf', 'qoe_components', 'bitrate_vs_rebuffer', 'smoothness_vs_rebuffer',
                                    'bitrate_vs_smoothness', 'gap_to_optimal')],
            'ooc_moe': ['ooc_moe_hit_rate', 'ooc_moe_routing', 'ooc_moe_forgetting', 'ooc_moe_stall'],
            'pamoe_compare': [f'pamoe_compare_{f}' for f in ('iqm', 'returns', 'routing', 'dormant')]}

def test_every_figure_notebook_is_known():
    assert NOTEBOOKS, "no figure notebooks found"
    assert {nb.stem for nb in NOTEBOOKS} == set(PROMISED), "add the new notebook's figures to PROMISED"

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_survives_nbdev_clean(nb):
    "nbdev-clean must keep papermill's `parameters` tag (pyproject: allowed_cell_metadata_keys = ['tags'])."
    cells = nbformat.read(nb, as_version=4).cells
    tagged = [c for c in cells if 'parameters' in c.metadata.get('tags', [])]
    assert len(tagged) == 1, f"{nb.name}: expected one cell tagged 'parameters', found {len(tagged)}"
    src = tagged[0].source
    assert 'preset' in src and 'out_dir' in src, f"{nb.name}: every figure notebook takes `preset` and `out_dir`"

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.stem)
def test_nbdev_clean_keeps_parameters_tag(nb, tmp_path):
    "Run nbdev-clean itself, with this project's config, on a copy (its --stdin mode fails in nbdev 3.3)."
    (tmp_path / 'nbs').mkdir()
    (tmp_path / 'pyproject.toml').write_text((ROOT / 'pyproject.toml').read_text())
    copy = tmp_path / 'nbs' / nb.name; copy.write_text(nb.read_text())
    subprocess.run([str(Path(sys.executable).parent / 'nbdev-clean'), '--fname', str(copy)], cwd=tmp_path, check=True)
    cells = nbformat.read(copy, as_version=4).cells
    assert any('parameters' in c.metadata.get('tags', []) for c in cells), f"nbdev-clean dropped the parameters tag of {nb.name}"

def test_python3_kernel_is_this_interpreter():
    "papermill's kernel_name='python3' must start this environment's python (with pamoe), not another one."
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    spec = KernelSpecManager().get_kernel_spec('python3')
    cmd = KernelManager(kernel_name='python3').format_kernel_cmd()   # 'python' in the spec becomes sys.executable
    assert Path(cmd[0]).resolve() == Path(sys.executable).resolve(), (
        f"kernel python3 ({spec.resource_dir}) runs {cmd[0]}, not {sys.executable}: "
        f"run `{sys.executable} -m ipykernel install --sys-prefix --name python3`")

def run_notebook(nb, out_dir, env):
    import papermill as pm
    old = dict(os.environ)
    os.environ.clear(); os.environ.update(env)          # the kernel inherits this process's environment
    try:
        return pm.execute_notebook(str(nb), str(out_dir / nb.name), parameters=dict(preset='quick', out_dir=str(out_dir)),
                                   kernel_name='python3', cwd=str(nb.parent), progress_bar=False)
    finally:
        os.environ.clear(); os.environ.update(old)

def check_outputs(nb, out_dir):
    for name in PROMISED[nb.stem]:
        for ext in ('png', 'svg', 'json'):
            f = out_dir / f'{name}.{ext}'
            assert f.is_file() and f.stat().st_size > 0, f"{nb.name} did not write {f.name} into out_dir"
        side = json.loads((out_dir / f'{name}.json').read_text())
        assert side['params']['preset'] == 'quick'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.stem)
def test_figure_notebook_runs(nb, tmp_path):
    "With the data when it is available (PAMOE_DATA), into out_dir and not the default folder."
    before = {p: p.stat().st_mtime for p in (ROOT / 'figures').glob('*')}
    run_notebook(nb, tmp_path, dict(os.environ))
    check_outputs(nb, tmp_path)
    after = {p: p.stat().st_mtime for p in (ROOT / 'figures').glob('*')}
    assert before == after, "the notebook wrote into figures/ although out_dir pointed elsewhere"

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.stem)
def test_figure_notebook_runs_without_data(nb, tmp_path):
    "With no data set available it falls back to synthetic data and says so."
    empty = tmp_path / 'no-data'; empty.mkdir()
    env = dict(os.environ, PAMOE_DATA=str(empty))
    out = run_notebook(nb, tmp_path, env)
    check_outputs(nb, tmp_path)
    if nb.stem == 'traces':
        import pamoe.data
        os.environ['PAMOE_DATA'], saved = str(empty), os.environ.get('PAMOE_DATA')
        try: local = [n for n in ('pensieve-train', 'pensieve-test', 'fcc', 'hsdpa', 'oboe') if pamoe.data.have(n)]
        finally:
            if saved is None: os.environ.pop('PAMOE_DATA')
            else: os.environ['PAMOE_DATA'] = saved
        text = json.dumps([c.get('outputs', []) for c in out.cells])
        if len(local) < 5: assert 'synthetic traces used instead' in text
