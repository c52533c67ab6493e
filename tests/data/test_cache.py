"""The cache folder and the downloader: atomic writes, checksums, mirrors, errors."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from tinygen.data import DataError, DownloadError, binarized, cache, data_dir, download, info
from tinygen.data.cache import download_url, md5sum

PAYLOAD = bytes(range(256)) * 1000  # 256 kB, several read chunks


class _Handler(http.server.BaseHTTPRequestHandler):
    """/full serves PAYLOAD; /short promises PAYLOAD's length, sends half and hangs up."""

    def do_GET(self):  # noqa: N802  (http.server's name)
        if self.path not in ("/full", "/short"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        body = PAYLOAD if self.path == "/full" else PAYLOAD[: len(PAYLOAD) // 2]
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def test_data_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("TINYGEN_DATA")
    assert data_dir() == Path.home() / ".cache" / "tinygen"


def test_md5sum_matches_hashlib(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(PAYLOAD)
    assert md5sum(p, chunk_size=1000) == hashlib.md5(PAYLOAD).hexdigest()


def test_http_download_with_checksum(server, tmp_path):
    dest = tmp_path / "sub" / "f.bin"
    out = download_url(server + "/full", dest, md5=hashlib.md5(PAYLOAD).hexdigest())
    assert out == dest and dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == [dest]


def test_interrupted_http_download_leaves_nothing(server, tmp_path):
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError) as err:
        download_url(server + "/short", dest)
    assert str(dest) in str(err.value) and server + "/short" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_checksum_mismatch_keeps_no_file(server, tmp_path):
    dest = tmp_path / "f.bin"
    with pytest.raises(DownloadError, match="MD5 mismatch"):
        download_url(server + "/full", dest, md5="0" * 32)
    assert _leftovers(tmp_path) == []


def test_failed_download_keeps_old_file(server, tmp_path):
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"old")
    with pytest.raises(DownloadError):
        download_url(server + "/short", dest)
    assert dest.read_bytes() == b"old" and _leftovers(tmp_path) == [dest]


def test_falls_back_to_next_mirror(server, tmp_path):
    dest = tmp_path / "f.bin"
    urls = ["http://127.0.0.1:9/closed-port", server + "/missing", server + "/full"]
    download_url(urls, dest, md5=hashlib.md5(PAYLOAD).hexdigest())
    assert dest.read_bytes() == PAYLOAD


def test_keyboard_interrupt_leaves_no_partial_file(tmp_path, monkeypatch):
    class Interrupted:
        headers: dict = {"Content-Length": str(len(PAYLOAD))}
        calls = 0

        def read(self, n):
            Interrupted.calls += 1
            if Interrupted.calls > 2:
                raise KeyboardInterrupt
            return PAYLOAD[:n]

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cache.urllib.request, "urlopen", lambda url, timeout: Interrupted())
    with pytest.raises(KeyboardInterrupt):
        download_url("http://example.invalid/f.bin", tmp_path / "f.bin")
    assert _leftovers(tmp_path) == []


def test_file_url_download(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    dest = tmp_path / "cache" / "dst.bin"
    download_url(src.as_uri(), dest, md5=hashlib.md5(PAYLOAD).hexdigest())
    assert dest.read_bytes() == PAYLOAD


def test_download_dataset_and_info(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    row = b" ".join([b"0"] * 783 + [b"1"]) + b"\n"
    for split in ("train", "valid", "test"):
        (mirror / f"binarized_mnist_{split}.amat").write_bytes(row * 3)
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("TINYGEN_DATA", str(cache_dir))
    monkeypatch.setattr(binarized, "MIRRORS", [mirror.as_uri() + "/"])

    before = {r["file"]: r for r in info() if r["dataset"] == "binarized_mnist"}
    assert len(before) == 3 and not any(r["present"] for r in before.values())
    assert all(r["size"] is None for r in before.values())

    paths = download("binarized_mnist")
    assert [p.name for p in paths] == [
        f"binarized_mnist_{s}.amat" for s in ("train", "valid", "test")
    ]
    rows = [r for r in info() if r["dataset"] == "binarized_mnist"]
    assert all(r["present"] and r["size"] == len(row) * 3 for r in rows)
    assert all(Path(r["path"]).is_file() and r["path"].startswith(str(cache_dir)) for r in rows)
    assert {r["dataset"] for r in info()} >= {"binarized_mnist", "mnist"}


def test_download_rejects_unknown_and_embedded_names():
    with pytest.raises(DataError, match="unknown dataset 'cifar'"):
        download("cifar")
    with pytest.raises(DataError, match="needs no download"):
        download("bars_and_stripes")


def test_found_gz_alternative_is_used_as_is(tmp_path, monkeypatch):
    folder = tmp_path / "binarized_mnist"
    folder.mkdir()
    (folder / "binarized_mnist_test.amat.gz").write_bytes(b"anything")
    monkeypatch.setenv("TINYGEN_DATA", str(tmp_path))
    monkeypatch.setenv("TINYGEN_OFFLINE", "1")
    row = [r for r in info() if r["file"].endswith("binarized_mnist_test.amat.gz")]
    assert len(row) == 1 and row[0]["present"] and row[0]["size"] == len(b"anything")


def test_unwritable_destination_is_a_clear_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_bytes(b"")
    with pytest.raises(DownloadError, match="TINYGEN_DATA to a writable folder"):
        download_url("http://127.0.0.1:9/x", blocker / "x.bin")
