"""The "standard" side of comparisons: mmdebstrap minbase images, imported into the engine.

Docker Hub is not reachable here, so the official images cannot be pulled; a minbase Debian
plus the same runtime (what a `FROM debian` + `apt-get install` user gets) is the baseline,
built with mmdebstrap from the machine's own mirror and imported with `docker import`.
Images are cached in the engine by tag and a label holding the recipe.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardbake.debian.sources import default_mirrors

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
        hooks=(f"echo '{_NGINX_SITE}' > \"$1\"/etc/nginx/sites-enabled/default",),
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
    mirror = default_mirrors().debian
    with tempfile.TemporaryDirectory(prefix="hardbake-std-") as t:
        tar = Path(t) / "rootfs.tar"
        subprocess.run(
            ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(std.packages)}",
             *(f"--customize-hook={h}" for h in std.hooks), std.suite, str(tar), mirror],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        changes = [f"LABEL {LABEL}={std.recipe}"]
        if std.cmd:
            changes.append("CMD " + json.dumps(list(std.cmd)))
        for e in std.env:
            changes.append(f"ENV {e}")
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
