"""`--from FILE|DIR|URL`: content decides the format; URLs come from a real loopback HTTP server."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardbake.errors import InputError, NetworkError
from hardbake.testing.net import free_port
from hardbake.vuln.feeds import FEEDS
from hardbake.vuln.feeds.source import assign, load

CVE_LIST = "CVE-2099-0001 (x)\n\t- foo 2.0-1\n"


@pytest.fixture()
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(root), **kw)  # type: ignore[arg-type]

        def log_message(self, *a: object) -> None:
            pass

    port = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        srv.shutdown()
        srv.server_close()


def test_url_gzip_and_bundle(http_root: tuple[str, Path], shared_data: Path) -> None:
    base, root = http_root
    (root / "list.gz").write_bytes(gzip.compress(CVE_LIST.encode()))
    (root / "npm.bin").write_bytes((shared_data / "npm_nodejs_security_wg.json").read_bytes())
    groups = assign(load(f"{base}/list.gz"), FEEDS)
    assert list(groups) == ["debian-tracker-lists"]
    loaded = load(f"{base}/npm.bin")
    assert {d.name.rsplit("#", 1)[1] for d in loaded.documents} == {"npm", "core"}  # _meta unwrapped
    assert all(d.date == "2026-04-08T23:26:49+02:00" for d in loaded.documents)
    assert list(assign(loaded, FEEDS)) == ["nodejs-security-wg"]


def test_url_errors(http_root: tuple[str, Path]) -> None:
    base, _ = http_root
    with pytest.raises(NetworkError, match="404"):
        load(f"{base}/missing.json")
    with pytest.raises(InputError, match="scheme"):
        load("ftp://127.0.0.1/x")


def test_truncated_json_and_gzip(tmp_path: Path, shared_data: Path) -> None:
    raw = (shared_data / "pypi_pypa_advisory_db_osv.json").read_bytes()
    (tmp_path / "cut.json").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match="truncated"):
        load(str(tmp_path / "cut.json"))
    gz = gzip.compress(raw)
    (tmp_path / "cut.gz").write_bytes(gz[: len(gz) // 2])
    with pytest.raises(InputError, match="gzip"):
        load(str(tmp_path / "cut.gz"))


def test_missing_path() -> None:
    with pytest.raises(InputError, match="no such file"):
        load("/nonexistent/feed.json")
