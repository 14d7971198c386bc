"""A real, signed apt repository for tests, served over HTTP on 127.0.0.1.

Packages are real .debs (see `testing.debs`); `Packages` (plain, .gz, .xz), `Release`,
`InRelease` and `Release.gpg` are written the way Debian's archive writes them and signed
with a throwaway OpenPGP key made by gpg in a private GNUPGHOME. Knobs let a test break the
chain of trust on purpose: no signature, a signature by another key, an expired
Valid-Until, an index that differs from its hash, a .deb altered after indexing.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import lzma
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.sources import Mirrors
from hardbake.testing.debs import DebSpec, build_deb


@dataclass(frozen=True)
class SigningKey:
    home: Path
    keyring: Path  # binary public keyring for gpgv
    fingerprint: str

    def sign_clear(self, data: bytes) -> bytes:
        return self._gpg(["--clearsign", "--digest-algo", "SHA256"], data)

    def sign_detached(self, data: bytes) -> bytes:
        return self._gpg(["--detach-sign", "--armor", "--digest-algo", "SHA256"], data)

    def _gpg(self, args: list[str], data: bytes) -> bytes:
        return subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.home),
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--local-user",
                self.fingerprint,
                *args,
            ],
            input=data,
            capture_output=True,
            check=True,
        ).stdout


def make_key(directory: Path, name: str = "hardbake test archive") -> SigningKey:
    """A fresh ed25519 signing key in its own GNUPGHOME, and its public keyring file."""
    home = directory / "gnupg"
    home.mkdir(parents=True, mode=0o700)
    subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            f"{name} <archive@invalid>",
            "ed25519",
            "sign",
            "never",
        ],
        capture_output=True,
        check=True,
    )
    listing = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--with-colons", "--list-keys"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    keyring = directory / "keyring.gpg"
    keyring.write_bytes(
        subprocess.run(
            ["gpg", "--homedir", str(home), "--batch", "--export", fpr], capture_output=True, check=True
        ).stdout
    )
    return SigningKey(home, keyring, fpr)


def _stanza(spec: DebSpec, deb: Path, filename: str) -> str:
    data = deb.read_bytes()
    fields = spec.control().rstrip("\n")
    # Packages stanzas carry what dpkg-scanpackages adds: where the file is and its hashes
    return (
        f"{fields}\nFilename: {filename}\nSize: {len(data)}\n"
        f"MD5sum: {hashlib.md5(data).hexdigest()}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
    )


class AptRepo:
    """An archive root with any number of suites, e.g. root/dists/trixie, root/pool/main."""

    def __init__(self, root: Path, key: SigningKey) -> None:
        self.root = root
        self.key = key
        self.suites: dict[str, list[tuple[DebSpec, Path]]] = {}

    def add(self, suite: str, *specs: DebSpec, debs: Sequence[Path] = ()) -> list[Path]:
        """Build and add packages to `suite` (or add prebuilt/crafted .debs with their specs)."""
        pool = self.root / "pool" / "main"
        out = []
        for spec in specs:
            deb = build_deb(spec, pool / spec.name[0] / spec.name)
            self.suites.setdefault(suite, []).append((spec, deb))
            out.append(deb)
        return out

    def add_raw(self, suite: str, spec: DebSpec, deb: Path) -> None:
        dest = self.root / "pool" / "main" / spec.name[0] / spec.name / deb.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if deb != dest:
            shutil.copy(deb, dest)
        self.suites.setdefault(suite, []).append((spec, dest))

    def publish(
        self,
        suite: str,
        *,
        archs: Sequence[str] = ("amd64", "arm64"),
        sign: str = "inline",  # inline | detached | none
        signer: SigningKey | None = None,
        valid_until: datetime | None = None,
        date: datetime | None = None,
        codename: str | None = None,
    ) -> Path:
        """Write Packages, Release and its signature(s) for `suite`."""
        dist = self.root / "dists" / suite
        if dist.exists():
            shutil.rmtree(dist)
        lines: list[str] = []
        for arch in archs:
            rel_dir = f"main/binary-{arch}"
            (dist / rel_dir).mkdir(parents=True)
            stanzas = [
                _stanza(spec, deb, str(deb.relative_to(self.root)))
                for spec, deb in sorted(
                    self.suites.get(suite, []), key=lambda sd: (sd[0].name, sd[0].version)
                )
                if spec.arch in (arch, "all")
            ]
            text = "\n".join(stanzas).encode()
            for suffix, blob in (
                ("", text),
                (".gz", gzip.compress(text, mtime=0)),
                (".xz", lzma.compress(text)),
            ):
                (dist / rel_dir / f"Packages{suffix}").write_bytes(blob)
                lines.append(
                    f" {hashlib.sha256(blob).hexdigest()} {len(blob):>16} {rel_dir}/Packages{suffix}"
                )
        now = date or datetime.now(UTC)
        head = [
            "Origin: hardbake-tests",
            "Label: hardbake-tests",
            f"Suite: {suite}",
            f"Codename: {codename or suite}",
            f"Date: {now:%a, %d %b %Y %H:%M:%S} UTC",
        ]
        if valid_until is not None:
            head.append(f"Valid-Until: {valid_until:%a, %d %b %Y %H:%M:%S} UTC")
        head += [f"Architectures: {' '.join(archs)}", "Components: main", "SHA256:"]
        release = ("\n".join(head + lines) + "\n").encode()
        (dist / "Release").write_bytes(release)
        k = signer or self.key
        if sign == "inline":
            (dist / "InRelease").write_bytes(k.sign_clear(release))
        elif sign == "detached":
            (dist / "Release.gpg").write_bytes(k.sign_detached(release))
        return dist


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with Range support (resumed downloads) and no request logging."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not rng or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(rng.split("=", 1)[1].split("-", 1)[0])
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        f = path.open("rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        return f


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` on a free 127.0.0.1 port; yields the base URL."""

    class H(_Handler):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(root), **kw)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def expired(days: int = 1) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


@dataclass
class RepoSite:
    repo: AptRepo  # http://.../debian: trixie, trixie-updates
    security: AptRepo  # http://.../debian-security: trixie-security
    url: str
    cache: Path

    def client(self, offline: bool = False, **kw: object) -> DebianClient:
        mirrors = Mirrors(f"{self.url}/debian", f"{self.url}/debian-security", self.repo.key.keyring)
        return DebianClient(
            mirrors=mirrors,
            cache_root=self.cache,
            http=None if offline else http_client(timeout=10),
            offline=offline,
            max_age=0.0,
            **kw,  # type: ignore[arg-type]
        )
