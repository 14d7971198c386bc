"""Before/after figures of an image pair, from the local Docker engine: the plan's seam.

`Comparer` is the interface the plan uses: given (original reference, hardened reference) it
returns the figures of both, or None when either image is not in the local engine. This
implementation (Docker Engine API via the docker SDK) is deliberately small - the size from
the engine, packages and executables from the exported filesystem - and will give way to
`hardbake compare`, which also counts CVEs; until then `cves` is None ("not measured").
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from hardbake.errors import EnvError


@dataclass(frozen=True)
class ImageFigures:
    reference: str
    size: int  # bytes, as the engine reports the image
    packages: int | None  # dpkg (status or status.d) or apk database entries; None if neither
    executables: int  # regular files with an execute bit
    setuid: int  # regular files with setuid or setgid
    shell: bool  # /bin/sh or /usr/bin/sh present
    cves: int | None = None  # not measured here (see the module docstring)


@dataclass(frozen=True)
class Comparison:
    before: ImageFigures
    after: ImageFigures


Comparer = Callable[[str, str], Comparison | None]


def docker_comparer(client: Any) -> Comparer:
    """A Comparer over a docker SDK client; figures are computed once per reference."""
    memo: dict[str, ImageFigures | None] = {}

    def figures_of(ref: str) -> ImageFigures | None:
        if ref not in memo:
            memo[ref] = image_figures(client, ref)
        return memo[ref]

    def compare(original: str, hardened: str) -> Comparison | None:
        a = figures_of(original)
        b = figures_of(hardened)
        return Comparison(a, b) if a is not None and b is not None else None

    return compare


def image_figures(client: Any, ref: str) -> ImageFigures | None:
    import docker.errors

    try:
        image = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as e:
        raise EnvError(f"the Docker engine could not look up {ref}: {e}") from e
    container = client.containers.create(
        image.id, entrypoint=["/hardbake-compare-never-runs"], command=[], network_mode="none"
    )
    try:
        counts = _count(cast(IO[bytes], _Stream(container.export(chunk_size=1 << 20))))
    finally:
        container.remove(force=True)
    return ImageFigures(ref, int(image.attrs.get("Size") or 0), *counts)


_ENGINE_FILES = frozenset({".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab"})


def _count(fileobj: IO[bytes]) -> tuple[int | None, int, int, bool]:
    executables = setuid = 0
    shell = False
    dpkg_status: int | None = None
    status_d = 0
    apk: int | None = None
    with tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for m in tar:
            name = m.name.removeprefix("./").lstrip("/")
            if name in _ENGINE_FILES or name.startswith(("dev/", "proc/", "sys/")):
                continue  # the engine adds these to every container it exports
            if m.isreg():
                if m.mode & 0o111:
                    executables += 1
                if m.mode & 0o6000:
                    setuid += 1
                if name == "var/lib/dpkg/status":
                    dpkg_status = _installed(tar.extractfile(m))
                elif name.startswith("var/lib/dpkg/status.d/") and not name.endswith(".md5sums"):
                    status_d += 1
                elif name == "lib/apk/db/installed":
                    f = tar.extractfile(m)
                    apk = sum(1 for line in f.read().splitlines() if line.startswith(b"P:")) if f else 0
            if name in ("bin/sh", "usr/bin/sh"):
                shell = True
    if dpkg_status is not None:
        packages: int | None = dpkg_status
    elif status_d:
        packages = status_d  # distroless-style: one control stanza per package
    else:
        packages = apk
    return packages, executables, setuid, shell


def _installed(f: IO[bytes] | None) -> int:
    if f is None:
        return 0
    n = 0
    for stanza in f.read().split(b"\n\n"):
        for line in stanza.splitlines():
            if line.startswith(b"Status:") and line.rstrip().endswith(b" installed"):
                n += 1
    return n


class _Stream:
    """A read()-able view of the chunks docker's export yields."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            try:
                self._buf += next(self._chunks)
            except StopIteration:
                break
        if n < 0:
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data
