"""The download path of pamoe.data against a local HTTP server (127.0.0.1, an ephemeral port); never the internet."""
import functools, hashlib, http.server, threading
from pathlib import Path

import pytest

import pamoe
from pamoe import data
from pamoe.data import ChecksumError, Dataset, MissingDataError

FILES = {'trace one': '0 1\n1 2\n', 'trace#2': '0.0\t3.5\r\n2.0\t1.0\r\n', 'trace_3': '0 0\n5 4\n\n'}


def sha(b: bytes) -> str: return hashlib.sha256(b).hexdigest()


class Server:
    "A static file server over `root` on 127.0.0.1 that records the paths it was asked for."
    def __init__(self, root):
        self.requests = []
        log = self.requests
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_GET(self):
                log.append(self.path)
                super().do_GET()
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=str(root)))
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()
    def close(self):
        self.httpd.shutdown(); self.httpd.server_close()


@pytest.fixture
def served(tmp_path):
    "Synthetic trace files served over HTTP from `tmp_path/srv/tiny`."
    src = tmp_path/'srv'/'tiny'
    src.mkdir(parents=True)
    for name, text in FILES.items(): (src/name).write_bytes(text.encode())
    srv = Server(tmp_path/'srv')
    yield srv
    srv.close()


@pytest.fixture
def roots(tmp_path, monkeypatch):
    "No $PAMOE_DATA, and downloads into `tmp_path/local` instead of the checkout's data/."
    monkeypatch.delenv('PAMOE_DATA', raising=False)
    local = tmp_path/'local'
    monkeypatch.setattr(data, 'local_root', lambda: local)
    monkeypatch.setattr(data, 'REPO', tmp_path/'no-repo')
    return local


def tiny(base_url, files=None, name='tiny'):
    "A small Dataset over FILES (or `files`: {name: bytes})."
    files = files or {k: v.encode() for k, v in FILES.items()}
    return Dataset(name, 'traces', f'traces/{name}', base_url + '/tiny/', 'test set', '',
                   {k: (len(b), sha(b)) for k, b in files.items()})


def leftovers(folder): return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith('.'))


def test_fetch_downloads_and_verifies(served, tmp_path):
    ds = tiny(served.url)
    d = data.fetch(ds, dest=tmp_path/'dl')
    assert d == tmp_path/'dl'/'traces'/'tiny'
    assert {p.name: p.read_bytes() for p in d.iterdir()} == {k: v.encode() for k, v in FILES.items()}
    assert sorted(served.requests) == ['/tiny/trace%20one', '/tiny/trace%232', '/tiny/trace_3']  # names are URL-quoted
    assert leftovers(d) == []
    assert all(oct(p.stat().st_mode)[-3:] == '644' for p in d.iterdir())


def test_fetch_is_idempotent_and_repairs(served, tmp_path):
    ds = tiny(served.url)
    d = data.fetch(ds, dest=tmp_path/'dl')
    served.requests.clear()
    assert data.fetch(ds, dest=tmp_path/'dl') == d
    assert served.requests == []  # everything verified, nothing downloaded
    (d/'trace_3').write_bytes(b'0 0\n5 5\n\n')  # same size, different bytes
    (d/'trace one').unlink()
    data.fetch(ds, dest=tmp_path/'dl')
    assert sorted(served.requests) == ['/tiny/trace%20one', '/tiny/trace_3']
    assert (d/'trace_3').read_bytes() == FILES['trace_3'].encode()


def test_checksum_mismatch_leaves_nothing(served, tmp_path):
    ds = tiny(served.url, {'trace_3': b'0 0\n5 9\n\n'})  # the manifest expects other bytes than the server has
    with pytest.raises(ChecksumError) as e:
        data.fetch(ds, dest=tmp_path/'dl')
    msg = str(e.value)
    assert 'trace_3' in msg and ds.files['trace_3'][1] in msg and sha(FILES['trace_3'].encode()) in msg, msg
    assert isinstance(e.value, ValueError)
    assert list((tmp_path/'dl'/'traces'/'tiny').iterdir()) == []  # neither the file nor a temporary one


def test_size_mismatch(served, tmp_path):
    ds = tiny(served.url, {'trace one': b'0 1\n1 2\n3 4\n'})
    with pytest.raises(ChecksumError, match='expected .* \\(12 bytes\\), got .* \\(8 bytes\\)'):
        data.fetch(ds, dest=tmp_path/'dl')


def test_404_names_missing_files_and_remedies(served, tmp_path, roots):
    files = {k: v.encode() for k, v in FILES.items()} | {'not there': b'0 1\n1 1\n'}
    ds = tiny(served.url, files)
    with pytest.raises(MissingDataError) as e:
        data.fetch(ds, dest=tmp_path/'dl')
    msg = str(e.value)
    assert 'not there' in msg and '404' in msg, msg
    for remedy in ('PAMOE_DATA', str(roots/'traces'/'tiny'), 'pamoe data fetch tiny'): assert remedy in msg, msg
    assert isinstance(e.value, FileNotFoundError)
    assert leftovers(tmp_path/'dl'/'traces'/'tiny') == []


def test_offline(tmp_path, roots):
    ds = tiny('http://127.0.0.1:1')  # nothing listens on port 1
    with pytest.raises(MissingDataError, match='download failed: http://127.0.0.1:1/tiny/'):
        data.dataset_path(ds)
    msg = ''
    try: data.dataset_path(ds, download=False)
    except MissingDataError as e: msg = str(e)
    assert "3 of 3 files missing" in msg and 'trace one, trace#2, trace_3' in msg, msg
    assert 'download failed' not in msg


def test_dataset_path_downloads_into_local_root(served, roots, monkeypatch):
    ds = tiny(served.url)
    monkeypatch.setitem(data.DATASETS, 'tiny', ds)
    assert not data.have('tiny') and served.requests == []  # have() never downloads
    ts = data.load_traces('tiny')
    assert [t.name for t in ts] == ['trace one', 'trace#2', 'trace_3']  # sorted by file name
    assert ts[1].bw_mbps.tolist() == [3.5, 1.0]
    assert data.locate('tiny') == roots/'traces'/'tiny'
    assert data.check('tiny') == []
    served.requests.clear()
    assert len(data.as_traces('tiny')) == 3 and served.requests == []


def test_pamoe_data_comes_first(served, tmp_path, roots, monkeypatch):
    ds = tiny(served.url)
    data.fetch(ds, dest=roots)
    shared = tmp_path/'shared'
    data.fetch(ds, dest=shared)
    monkeypatch.setenv('PAMOE_DATA', str(shared))
    assert data.dataset_path(ds) == shared/'traces'/'tiny'
    (shared/'traces'/'tiny'/'trace_3').unlink()  # incomplete there: the next root is used
    assert data.dataset_path(ds) == roots/'traces'/'tiny'
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('PAMOE_DATA', 'shared')  # relative to the current directory
    assert data.data_roots()[0] == shared


def test_check_reports_each_problem(served, tmp_path, roots, monkeypatch):
    ds = tiny(served.url)
    d = data.fetch(ds, dest=tmp_path/'copy')
    monkeypatch.setenv('PAMOE_DATA', str(tmp_path/'copy'))
    assert data.check(ds) == []
    (d/'trace_3').write_bytes(b'x' * len(FILES['trace_3']))
    (d/'trace one').unlink()
    problems = data.check(ds)
    assert problems[0] == f"{d/'trace one'}: missing"
    assert problems[1].startswith(f"{d/'trace_3'}: SHA-256 ") and problems[1].endswith(f"expected {ds.files['trace_3'][1]}")
    assert len(problems) == 2


def test_local_root_falls_back_to_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(data, 'REPO', tmp_path/'site-packages')  # an installed package: no data/ beside it
    monkeypatch.setenv('HOME', str(tmp_path/'home'))
    assert data.local_root() == tmp_path/'home'/'.cache'/'pamoe'
    (tmp_path/'site-packages'/'data').mkdir(parents=True)
    assert data.local_root() == tmp_path/'site-packages'/'data'


def test_registry_urls_are_quoted():
    ds = data.DATASETS['pensieve-train']
    assert ds.url('trace_28919_http---www.google.com-mobile-').startswith('https://raw.githubusercontent.com/godka/Pensieve-PPO/torch/src/train/')
    assert ds.url('a b#c') .endswith('/train/a%20b%23c')
    assert pamoe.data.DATASETS['oboe'].base_url.startswith(
        'https://raw.githubusercontent.com/tinyzqh/OptiVerse/4c7bef48e0432306ce32c8ff911d28753d8b0c35/OptiVerse/datasets/video/trace/oboe')
