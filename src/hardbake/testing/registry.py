"""A real OCI registry for tests: Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1.

It has no referrers API, which is exactly what makes the `sha256-<hex>` tag fallback matter.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hardbake.testing.net import free_port, wait_for_port


@dataclass
class LocalRegistry:
    host: str  # 127.0.0.1:PORT
    root: Path
    process: subprocess.Popen[bytes]
    config: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def start(self) -> None:
        """(Re)start the registry process on the same port and storage."""
        self.stop()
        self.process = _spawn(self.config, self.root)
        wait_for_port(int(self.host.rsplit(":", 1)[1]))


def _spawn(config: Path, root: Path) -> subprocess.Popen[bytes]:
    log = (root / "registry.log").open("ab")
    return subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def local_registry(users: dict[str, str] | None = None) -> Iterator[LocalRegistry]:
    """Start docker-registry on a free loopback port; stop it and delete its data afterwards.

    `users` (name -> password) turns on htpasswd Basic authentication."""
    if shutil.which("docker-registry") is None:
        raise RuntimeError("docker-registry is not installed: run scripts/system-deps")
    root = Path(tempfile.mkdtemp(prefix="hardbake-registry-"))
    port = free_port()
    config = root / "config.yml"
    auth = ""
    if users:
        import bcrypt  # a test dependency: registry passwords are bcrypt hashes

        htpasswd = root / "htpasswd"
        htpasswd.write_text(
            "".join(
                f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                for u, p in users.items()
            )
        )
        auth = f"auth: {{htpasswd: {{realm: test, path: {htpasswd}}}}}\n"
    config.write_text(
        "version: 0.1\n"
        "log: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n" + auth
    )
    reg = LocalRegistry(f"127.0.0.1:{port}", root, _spawn(config, root), config)
    try:
        wait_for_port(port)
        yield reg
    finally:
        reg.stop()
        shutil.rmtree(root, ignore_errors=True)
