"""The before/after seam against the real Docker engine, and the plan that uses it."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hardbake.migrate import plan
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.compare import Comparison, ImageFigures, docker_comparer, image_figures
from hardbake.migrate.scan import scan

STATUS = b"""Package: libc6
Status: install ok installed
Version: 2.36-9

Package: bash
Status: install ok installed
Version: 5.2

Package: old
Status: deinstall ok config-files
Version: 1
"""


def _rootfs(files: dict[str, tuple[int, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (mode, data) in files.items():
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture()
def images(docker_engine: Any) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:12]
    std = f"hardbake-test/migrate-std:{tag}"
    hard = f"hardbake-test/migrate-hard:{tag}"
    docker_engine.api.import_image_from_data(
        _rootfs(
            {
                "bin/sh": (0o755, b"\x7fELF"),
                "usr/bin/passwd": (0o4755, b"\x7fELF"),
                "usr/bin/python3": (0o755, b"\x7fELF"),
                "etc/os-release": (0o644, b"ID=debian\n"),
                "var/lib/dpkg/status": (0o644, STATUS),
            }
        ),
        repository=std.split(":")[0],
        tag=tag,
    )
    docker_engine.api.import_image_from_data(
        _rootfs(
            {
                "usr/bin/python3": (0o755, b"\x7fELF"),
                "var/lib/dpkg/status.d/libc6": (0o644, b"Package: libc6\n"),
                "var/lib/dpkg/status.d/libc6.md5sums": (0o644, b"x  y\n"),
                "var/lib/dpkg/status.d/python3": (0o644, b"Package: python3\n"),
            }
        ),
        repository=hard.split(":")[0],
        tag=tag,
    )
    try:
        yield std, hard
    finally:
        for ref in (std, hard):
            docker_engine.images.remove(ref, force=True)


@pytest.mark.docker
def test_figures_from_the_engine(docker_engine: Any, images: tuple[str, str]) -> None:
    std, hard = images
    before = image_figures(docker_engine, std)
    after = image_figures(docker_engine, hard)
    assert before is not None and after is not None
    assert (before.packages, before.executables, before.setuid, before.shell) == (2, 3, 1, True)
    assert (after.packages, after.executables, after.setuid, after.shell) == (2, 1, 0, False)
    assert before.size > 0 and after.cves is None
    assert image_figures(docker_engine, f"hardbake-test/absent:{uuid.uuid4().hex[:8]}") is None
    assert not docker_engine.containers.list(all=True, filters={"ancestor": std})  # cleaned up


@pytest.mark.docker
def test_plan_with_the_engine(
    tmp_path: Path, docker_engine: Any, images: tuple[str, str], mapper: Mapper
) -> None:
    std, hard = images
    (tmp_path / "Dockerfile").write_text('FROM python:3.13-slim\nCOPY app.py .\nCMD ["python", "app.py"]\n')
    inv = scan(tmp_path, mapper)
    compare = docker_comparer(docker_engine)

    def aliased(original: str, hardened: str) -> Comparison | None:
        # the test's images stand in for python:3.13-slim and hardbake/python:3.13
        return (
            compare(std, hard)
            if (original, hardened) == ("python:3.13-slim", "hardbake/python:3.13")
            else None
        )

    text = plan.render(inv, aliased)
    assert "| `python:3.13-slim` -> `hardbake/python:3.13` |" in text
    assert "2 -> 2 | 3 -> 1 | 1 -> 0 | yes -> no | not measured -> not measured |" in text


def _fig(size: int, packages: int, exe: int) -> ImageFigures:
    return ImageFigures("x", size, packages, exe, 11 if packages > 50 else 0, packages > 50)


def test_plan_phases_and_order(corpus: Path, mapper: Mapper) -> None:
    inv = scan(corpus / "dockerfiles", mapper)

    def compare(original: str, hardened: str) -> Comparison | None:
        if original == "node:20-alpine":
            return Comparison(_fig(180_000_000, 118, 566), _fig(60_000_000, 12, 3))
        return None

    text = plan.render(inv, compare)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Phase 1: Assessment (week 1-2)",
        "## Phase 2: Pilot (week 3-4)",
        "## Phase 3: Rollout (week 5-8)",
        "## Phase 4: Production (week 9-12)",
        "## Blockers, file by file",
    ]
    assert "| `node:20-alpine` -> `hardbake/node:20` | 180.0 MB -> 60.0 MB | 118 -> 12 | 566 -> 3 |" in text
    assert "Not available locally" in text and "- `python:3.12-slim` -> `hardbake/python:3.13`" in text
    pilot = text.split("## Phase 2")[1].split("## Phase 3")[0]
    # the pilot takes Dockerfiles that convert without blockers, fewest warnings first
    assert (
        "1. `01-node-alpine-article/Dockerfile`: 1 reference to rewrite, 1 further change, 0 warnings"
        in pilot
    )
    assert (
        f"`hardbake migrate apply {corpus}/dockerfiles/01-node-alpine-article/Dockerfile --dry-run`" in pilot
    )
    blockers = text.split("## Blockers, file by file")[1]
    assert "### `05-node-npm-start-env/Dockerfile`" in blockers
    assert "### `01-node-alpine-article/Dockerfile`" not in blockers
    assert "Debian's Python refuses `pip install`" in text  # lessons for the teams
    assert plan.render(inv, compare) == text  # deterministic


def test_rank_puts_blocked_files_last(corpus: Path, mapper: Mapper) -> None:
    ranks = plan.rank(scan(corpus / "dockerfiles", mapper))
    blocked = [r.blockers > 0 for r in ranks]
    assert blocked == sorted(blocked)
