"""The `pamoe` command, run as a subprocess; downloads come from a local HTTP server, never the internet."""
import functools, http.server, os, shutil, subprocess, sys, threading
from pathlib import Path

import pytest

from pamoe import data

SHARED = os.environ.get('PAMOE_DATA')
needs_data = pytest.mark.skipif(not (SHARED and (Path(SHARED)/'videos'/'envivio').is_dir()),
                                reason='PAMOE_DATA unset or without videos/envivio')


def pamoe(*args, data_root=None):
    "Run `python -m pamoe.cli ARGS` with $PAMOE_DATA set to `data_root` (or as inherited)."
    env = dict(os.environ)
    if data_root is not None: env['PAMOE_DATA'] = str(data_root)
    return subprocess.run([sys.executable, '-m', 'pamoe.cli', *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def server():
    "Start static file servers on 127.0.0.1 (an ephemeral port) over a folder; yields `serve(folder) -> base URL`."
    httpds = []
    def serve(root):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
        httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(root)))
        threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
        httpds.append(httpd)
        return f'http://127.0.0.1:{httpd.server_address[1]}'
    yield serve
    for h in httpds: h.shutdown(); h.server_close()


def fake_envivio(root):
    "envivio laid out under `root` with the manifest's sizes but the wrong bytes."
    ds = data.DATASETS['envivio']
    (root/ds.dir).mkdir(parents=True)
    for f, (n, _) in ds.files.items(): (root/ds.dir/f).write_bytes(b'0' * n)
    return root/ds.dir


def test_entry_point():
    exe = Path(sys.executable).parent/'pamoe'
    if not exe.exists(): pytest.skip('pamoe console script not installed beside this python')
    r = subprocess.run([str(exe), '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and 'data' in r.stdout and 'figures' in r.stdout, r
    r = subprocess.run([str(exe), '--version'], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith('pamoe '), r


@pytest.mark.parametrize('args, says', [
    ((), 'required: COMMAND'),
    (('bogus',), 'invalid choice'),
    (('data',), 'required: ACTION'),
    (('data', 'check'), 'name one or more data sets, or give --all'),
    (('data', 'fetch', 'envivio', '--all'), 'name one or more data sets, or give --all'),
    (('data', 'check', 'nosuch'), 'unknown data set(s): nosuch'),
    (('data', 'fetch', '--bogus'), 'unrecognized arguments'),
    (('figures', '--preset', 'huge'), "invalid choice: 'huge'"),
])
def test_usage_errors(args, says):
    r = pamoe(*args)
    assert r.returncode == 2, r
    assert 'usage: pamoe' in r.stderr and says in r.stderr, r.stderr


def test_figures_unknown_name():
    r = pamoe('figures', '--only', 'no-such-figure')
    if not (data.REPO/'nbs'/'figures').is_dir():
        assert r.returncode == 1 and 'source checkout' in r.stderr, r
    else:
        assert r.returncode == 2 and 'unknown figure notebook(s): no-such-figure' in r.stderr, r.stderr


def test_list(tmp_path):
    r = pamoe('data', 'list', data_root=tmp_path)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split() == ['name', 'kind', 'files', 'location']
    assert [l.split()[0] for l in lines[1:]] == list(data.DATASETS)
    assert 'pensieve-ppo-bb-logs  reference  142' in r.stdout


@needs_data
def test_list_and_check_shared():
    r = pamoe('data', 'list')
    assert r.returncode == 0 and str(Path(SHARED).absolute()/'videos'/'envivio') in r.stdout, r
    r = pamoe('data', 'check', 'envivio', 'ssb', 'pensieve-test')
    assert r.returncode == 0, r
    assert 'ok envivio: 6 files verified' in r.stdout and 'ok pensieve-test: 142 files verified' in r.stdout, r.stdout


def test_check_damaged_copy(tmp_path):
    d = fake_envivio(tmp_path)
    r = pamoe('data', 'check', 'envivio', data_root=tmp_path)
    assert r.returncode == 1, r
    assert 'FAILED envivio' in r.stderr and f"{d/'video_size_0'}: SHA-256" in r.stderr, r.stderr
    assert '1 data set(s) missing or damaged: envivio' in r.stderr


@needs_data
def test_check_one_flipped_byte(tmp_path):
    d = tmp_path/'videos'/'envivio'
    shutil.copytree(Path(SHARED)/'videos'/'envivio', d)
    b = bytearray((d/'video_size_3').read_bytes()); b[0] ^= 1
    (d/'video_size_3').write_bytes(bytes(b))
    r = pamoe('data', 'check', 'envivio', data_root=tmp_path)
    assert r.returncode == 1, r
    assert 'video_size_3: SHA-256' in r.stderr and 'video_size_2' not in r.stderr, r.stderr


@needs_data
def test_fetch_from_mirror(tmp_path, server):
    url = server(SHARED)  # the shared folder is laid out like data/, so it serves as a mirror
    r = pamoe('data', 'fetch', 'envivio', 'ssb', '--mirror', url, '--dest', tmp_path/'dl', data_root=tmp_path/'nothing')
    assert r.returncode == 0, r
    assert f"ok: {tmp_path/'dl'/'videos'/'envivio'}" in r.stdout, r.stdout
    for f in data.DATASETS['ssb'].files:
        assert (tmp_path/'dl'/'videos'/'ssb'/f).read_bytes() == (Path(SHARED)/'videos'/'ssb'/f).read_bytes()
    r = pamoe('data', 'check', 'envivio', 'ssb', data_root=tmp_path/'dl')
    assert r.returncode == 0 and str(tmp_path/'dl') in r.stdout, r


def test_fetch_rejects_wrong_bytes(tmp_path, server):
    fake_envivio(tmp_path/'srv')
    r = pamoe('data', 'fetch', 'envivio', '--mirror', server(tmp_path/'srv'), '--dest', tmp_path/'dl')
    assert r.returncode == 1, r
    assert 'SHA-256 mismatch' in r.stderr and 'nothing was written' in r.stderr, r.stderr
    assert list((tmp_path/'dl'/'videos'/'envivio').iterdir()) == []


def test_fetch_404(tmp_path, server):
    (tmp_path/'srv').mkdir()
    r = pamoe('data', 'fetch', 'envivio', '--mirror', server(tmp_path/'srv'), '--dest', tmp_path/'dl')
    assert r.returncode == 1, r
    for s in ('6 of 6 files missing', 'video_size_0, video_size_1', '404', 'PAMOE_DATA', 'pamoe data fetch envivio'):
        assert s in r.stderr, r.stderr
