"""What is watched: catalog names and spec files, parents first, named like the catalog."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from hardbake.errors import InputError, NetworkError
from hardbake.spec import catalog
from hardbake.watch import loop, targets


def test_no_names_means_the_whole_catalog() -> None:
    ts = targets.select([])
    assert {t.name for t in ts} == {e.name for e in catalog.entries()}
    py = next(t for t in ts if t.name == "python:3.13")
    assert py.family == "python" and "latest" in py.tags and "3.13-debian13" in py.tags
    assert py.repository("127.0.0.1:5000/team/") == "127.0.0.1:5000/team/python"


def test_spec_files_extends_and_order(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: mybase\ndistro: debian-13\npackages: [base-files]\n")
    (tmp_path / "app.yaml").write_text(
        'name: myapp\nversion: "2"\nvariant: dev\ndistro: debian-13\nextends: base.yaml\npackages: [x]\n'
    )
    ts = targets.select([str(tmp_path / "app.yaml"), str(tmp_path / "base.yaml")])
    assert [t.name for t in ts] == ["mybase:latest", "myapp:2-dev"]  # the parent comes first
    assert ts[1].parent == "mybase:latest" and ts[0].parent is None
    # extending a catalog image that is not watched: no parent target
    (tmp_path / "c.yaml").write_text("name: c\ndistro: debian-13\nextends: static:debian13\n")
    (t,) = targets.select([str(tmp_path / "c.yaml")])
    assert t.parent is None


def test_a_loop_and_a_double_name_are_refused(tmp_path: Path) -> None:
    a = targets.Target("a:1", "a", ("1",), tmp_path / "a.yaml", "debian-13", ("amd64",), parent="b:1")
    b = targets.Target("b:1", "b", ("1",), tmp_path / "b.yaml", "debian-13", ("amd64",), parent="a:1")
    with pytest.raises(InputError, match="loop"):
        targets.order([a, b])
    with pytest.raises(InputError, match="named twice"):
        targets.select(["python:3.13", "python:3.13"])
    with pytest.raises(InputError, match="does not exist"):
        targets.select([str(tmp_path / "missing.yaml")])


def test_run_forever_repeats_survives_errors_and_stops_at_once() -> None:
    calls: list[float] = []
    errors: list[str] = []
    stop = threading.Event()

    def run() -> loop.WatchReport:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise NetworkError("mirror down")
        if len(calls) == 4:
            stop.set()
        return None  # type: ignore[return-value]

    n = loop.run_forever(run, timedelta(seconds=0.05), stop, on_error=lambda e: errors.append(e.message))
    assert n == 4 and errors == ["mirror down"]
    # a long interval is cut short by the stop event
    stop2 = threading.Event()
    threading.Timer(0.2, stop2.set).start()
    t0 = time.monotonic()
    assert loop.run_forever(lambda: None, timedelta(hours=1), stop2) == 1  # type: ignore[arg-type,return-value]
    assert time.monotonic() - t0 < 5
    assert loop.run_forever(lambda: None, timedelta(hours=1), threading.Event(), max_runs=1) == 1  # type: ignore[arg-type,return-value]
