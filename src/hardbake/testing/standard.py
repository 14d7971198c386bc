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

    @property
    def recipe(self) -> str:
        return hashlib.sha256(
            json.dumps([self.suite, self.packages, self.cmd, self.env]).encode()
        ).hexdigest()[:16]


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
        include = [f"--include={','.join(std.packages)}"] if std.packages else []
        subprocess.run(
            ["mmdebstrap", "--quiet", "--variant=minbase", *include, std.suite, str(tar), mirror],
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
