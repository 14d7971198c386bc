"""The "standard" baselines: mmdebstrap minbase + a runtime, imported into the engine.

What users compare hardened images against, and what the SBOM, scan and migration tests
read: a plain Debian rootfs made by mmdebstrap from the machine's own mirror (from its apt
sources), `docker import`ed. Docker Hub is not reachable here, so official images are stood
in for the same way (`OFFICIAL_STANDINS`: minbase + the runtime, set up as the official image
behaves). Building one takes 20-90 s: rootfs tarballs are cached per day under
`$HARDBAKE_STANDARD_CACHE` (default /tmp/hardbake-standard/<YYYY-MM-DD>/), guarded by a file
lock so parallel test workers and benchmarks build each one once, and engine images carry a
label with their recipe.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardbake.debian.sources import default_mirrors


def debian_mirror() -> str:
    """The Debian mirror of the machine's apt sources (what hardbake itself uses)."""
    return default_mirrors().debian


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


def standard_rootfs(
    suite: str, packages: tuple[str, ...], *, variant: str = "minbase", hooks: tuple[str, ...] = ()
) -> Path:
    """The mmdebstrap tarball (built once per day): `--variant=VARIANT --include=PKGS SUITE`."""
    key = _key(suite, packages, hooks)
    root = cache_root()
    rootfs = root / f"{key}.tar"
    with _locked(root / f"{key}.lock"):
        if not rootfs.exists():
            if shutil.which("mmdebstrap") is None:
                raise RuntimeError("mmdebstrap is not installed: run scripts/system-deps")
            tmp = rootfs.with_suffix(".part.tar")
            cmd = ["mmdebstrap", f"--variant={variant}", "--quiet", *(f"--customize-hook={h}" for h in hooks)]
            if packages:
                cmd.append(f"--include={','.join(packages)}")
            done = subprocess.run(
                [*cmd, suite, str(tmp), debian_mirror()], capture_output=True, text=True, timeout=1200
            )
            if done.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise subprocess.CalledProcessError(
                    done.returncode, cmd, done.stdout, done.stderr[-2000:]
                )
            tmp.replace(rootfs)
    return rootfs


def _key(suite: str, packages: tuple[str, ...], hooks: tuple[str, ...] = ()) -> str:
    key = re.sub(r"[^a-z0-9.-]+", "-", f"{suite}-{'-'.join(packages) or 'base'}".lower())
    if hooks:
        key += "-" + hashlib.sha256("\n".join(hooks).encode()).hexdigest()[:8]
    return key


def standard_image(suite: str, packages: tuple[str, ...], *, variant: str = "minbase") -> StandardImage:
    """Build (once per day) `mmdebstrap --variant=VARIANT --include=PKGS SUITE`, import it
    into the engine and save it as a docker-archive."""
    key = _key(suite, packages)
    root = cache_root()
    rootfs, archive = root / f"{key}.tar", root / f"{key}.docker.tar"
    name = f"hardbake-standard/{key}:{root.name}"
    standard_rootfs(suite, packages, variant=variant)
    with _locked(root / f"{key}.lock"):
        have = subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0
        if not have:
            subprocess.run(["docker", "import", str(rootfs), name], check=True, capture_output=True)
        if not archive.exists() or not have:
            tmp = archive.with_suffix(".part")
            subprocess.run(["docker", "save", "-o", str(tmp), name], check=True, capture_output=True)
            tmp.replace(archive)
    return StandardImage(name, rootfs, archive)


LABEL = "dev.hardbake.standard-recipe"


@dataclass(frozen=True)
class Standard:
    tag: str  # e.g. standard/python:3.11
    suite: str
    packages: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()  # mmdebstrap --customize-hook commands ("$1" is the root)

    @property
    def recipe(self) -> str:
        parts: list[object] = [self.suite, self.packages, self.cmd, self.env]
        if self.hooks:
            parts.append(self.hooks)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


CATALOG_STANDARDS = {
    "python:3.11": Standard("standard/python:3.11", "bookworm", ("python3",), ("python3",)),
    "python:3.13": Standard("standard/python:3.13", "trixie", ("python3",), ("python3",)),
    "node:18": Standard("standard/node:18", "bookworm", ("nodejs",), ("node",)),
    "node:20": Standard("standard/node:20", "trixie", ("nodejs",), ("node",)),
    "java:17": Standard("standard/java:17", "bookworm", ("openjdk-17-jre-headless",), ("java", "-version")),
    "java:21": Standard("standard/java:21", "trixie", ("openjdk-21-jre-headless",), ("java", "-version")),
    "nginx:debian12": Standard(
        "standard/nginx:debian12", "bookworm", ("nginx",), ("nginx", "-g", "daemon off;")
    ),
    "nginx:debian13": Standard(
        "standard/nginx:debian13", "trixie", ("nginx",), ("nginx", "-g", "daemon off;")
    ),
    "postgres:15": Standard("standard/postgres:15", "bookworm", ("postgresql-15",)),
    "postgres:17": Standard("standard/postgres:17", "trixie", ("postgresql-17",)),
    "redis:debian12": Standard("standard/redis:debian12", "bookworm", ("redis-server",), ("redis-server",)),
    "redis:debian13": Standard("standard/redis:debian13", "trixie", ("redis-server",), ("redis-server",)),
    "httpd:debian12": Standard("standard/httpd:debian12", "bookworm", ("apache2",)),
    "httpd:debian13": Standard("standard/httpd:debian13", "trixie", ("apache2",)),
    "mariadb:10.11": Standard("standard/mariadb:10.11", "bookworm", ("mariadb-server",)),
    "mariadb:11.8": Standard("standard/mariadb:11.8", "trixie", ("mariadb-server",)),
}


_NGINX_SITE = (
    "server { listen 80 default_server; root /usr/share/nginx/html; index index.html; "
    "access_log /dev/stdout; error_log /dev/stderr; }"
)

#: stand-ins for the official images Docker Hub would serve (the migration tests' "before"):
#: a minbase Debian with the same runtime, set up the way the official image behaves
OFFICIAL_STANDINS = {
    "python:3.13-slim": Standard(
        "python:3.13-slim", "trixie", ("python3", "python3-pip", "python-is-python3", "passwd"), ("python3",),
        hooks=('rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED',),  # the official image allows system pip
    ),
    "node:20-slim": Standard("node:20-slim", "trixie", ("nodejs", "npm"), ("node",)),
    "eclipse-temurin:17-jdk": Standard("eclipse-temurin:17-jdk", "bookworm", ("openjdk-17-jdk-headless",), ("jshell",)),
    "eclipse-temurin:17-jre": Standard("eclipse-temurin:17-jre", "bookworm", ("openjdk-17-jre-headless",)),
    "nginx:stable": Standard(
        "nginx:stable", "trixie", ("nginx",), ("nginx", "-g", "daemon off;"),
        # sites-enabled/default is an absolute symlink: replace it, never write through it
        hooks=(f"rm -f \"$1\"/etc/nginx/sites-enabled/default && echo '{_NGINX_SITE}' > \"$1\"/etc/nginx/sites-enabled/default",),
    ),
}  # fmt: skip


def ensure(std: Standard, engine: Any) -> str:
    """The standard image in the engine (built with mmdebstrap once); returns its tag."""
    import docker.errors

    try:
        img = engine.images.get(std.tag)
        if (img.labels or {}).get(LABEL) == std.recipe:
            return std.tag
    except docker.errors.ImageNotFound:
        pass  # build it below
    tar = standard_rootfs(std.suite, std.packages, hooks=std.hooks)
    changes = [f"LABEL {LABEL}={std.recipe}"]
    if std.cmd:
        changes.append("CMD " + json.dumps(list(std.cmd)))
    changes += [f"ENV {e}" for e in std.env]
    args = ["docker", "import"]
    for c in changes:
        args += ["--change", c]
    subprocess.run([*args, str(tar), std.tag], check=True, capture_output=True, timeout=600)
    return std.tag


def provide(name: str, engine: Any) -> str:
    """An image by name: an official-image stand-in (mmdebstrap) or `hardbake/FAMILY:TAG` built
    from the catalog (`hardbake build FAMILY:TAG -o docker-daemon:hardbake/FAMILY:TAG`)."""
    import fcntl
    import sys

    lock_path = (
        Path(tempfile.gettempdir())
        / f"hardbake-provide-{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock"
    )
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several test workers may ask for the same image
        if name in OFFICIAL_STANDINS:
            return ensure(OFFICIAL_STANDINS[name], engine)
        if name.startswith("hardbake/"):
            catalog_name = name.removeprefix("hardbake/")
            subprocess.run(
                [sys.executable, "-m", "hardbake.cli.main", "build", catalog_name, "--arch", "amd64",
                 "-o", f"docker-daemon:{name}"],
                check=True, capture_output=True, timeout=1200,
            )  # fmt: skip
            return name
    raise KeyError(f"no recipe for image {name!r}")
