"""The "standard" baselines: mmdebstrap minbase + a runtime, imported into the engine.

What users compare hardened images against (and what the SBOM and scan tests read): a
plain Debian rootfs made by mmdebstrap from the machine's own mirror (read from
/etc/apt/sources.list.d/*.sources at runtime), `docker import`ed and `docker save`d.
Building one takes 20-90 s, so the results are cached per day under
`$HARDBAKE_STANDARD_CACHE` (default /tmp/hardbake-standard/<YYYY-MM-DD>/), guarded by a file
lock so parallel test workers and benchmarks build each one once.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SOURCES_DIR = Path("/etc/apt/sources.list.d")


def debian_mirror() -> str:
    """The first Debian archive URI of the machine's deb822 sources (not the security one)."""
    uris: list[str] = []
    for f in sorted(SOURCES_DIR.glob("*.sources")):
        for m in re.finditer(r"^URIs:\s*(.+)$", f.read_text(), re.MULTILINE):
            uris += m[1].split()
    for u in uris:
        if "security" not in u:
            return u
    raise RuntimeError(f"no Debian mirror in {SOURCES_DIR}/*.sources")


def cache_root() -> Path:
    env = os.environ.get("HARDBAKE_STANDARD_CACHE")
    base = Path(env) if env else Path("/tmp/hardbake-standard")  # noqa: S108 - shared on purpose
    return base / _dt.date.today().isoformat()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass(frozen=True)
class StandardImage:
    name: str  # in the engine: hardbake-standard/<key>:<date>
    rootfs: Path  # the mmdebstrap tarball
    archive: Path  # docker-archive of the imported image

    @property
    def archive_ref(self) -> str:
        return f"docker-archive:{self.archive}"

    @property
    def daemon_ref(self) -> str:
        return f"docker-daemon:{self.name}"


def standard_image(suite: str, packages: tuple[str, ...], *, variant: str = "minbase") -> StandardImage:
    """Build (once per day) `mmdebstrap --variant=VARIANT --include=PKGS SUITE`, import it
    into the engine and save it as a docker-archive."""
    key = re.sub(r"[^a-z0-9.-]+", "-", f"{suite}-{'-'.join(packages) or 'base'}".lower())
    root = cache_root()
    rootfs, archive = root / f"{key}.tar", root / f"{key}.docker.tar"
    name = f"hardbake-standard/{key}:{root.name}"
    with _locked(root / f"{key}.lock"):
        if not rootfs.exists():
            if shutil.which("mmdebstrap") is None:
                raise RuntimeError("mmdebstrap is not installed: run scripts/system-deps")
            tmp = rootfs.with_suffix(".part.tar")
            cmd = ["mmdebstrap", f"--variant={variant}", "--quiet"]
            if packages:
                cmd.append(f"--include={','.join(packages)}")
            subprocess.run([*cmd, suite, str(tmp), debian_mirror()], check=True, capture_output=True)
            tmp.replace(rootfs)
        have = subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0
        if not have:
            subprocess.run(["docker", "import", str(rootfs), name], check=True, capture_output=True)
        if not archive.exists() or not have:
            tmp = archive.with_suffix(".part")
            subprocess.run(["docker", "save", "-o", str(tmp), name], check=True, capture_output=True)
            tmp.replace(archive)
    return StandardImage(name, rootfs, archive)
