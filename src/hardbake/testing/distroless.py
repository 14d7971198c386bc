"""A distroless-style Debian image for the SBOM and scan tests, from real .debs.

`distroless_layers` unpacks locked .debs into layers, keeps what a filter accepts and
writes `/var/lib/dpkg/status.d/<pkg>` (+ `.md5sums` of what was kept) for every package
with a file left — what hardbake's builder and Google's distroless do. `build_runtime`
locks a small bookworm set through the machine's mirror (with drops), fetches and verifies
the .debs with hardbake's archive client, and assembles a two-layer image in an OCI layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hardbake.debian.cache import PackageCache
from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.deb import Deb
from hardbake.debian.lock import ArchLock
from hardbake.debian.sources import default_mirrors
from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.image import Image
from hardbake.oci.platform import Platform
from hardbake.oci.tarentry import TarEntry
from hardbake.testing.sbomimages import EPOCH, image


@dataclass(frozen=True)
class DebPresence:
    name: str
    files_shipped: int
    files_kept: int


def distroless_layers(
    lock: ArchLock,
    cache: PackageCache,
    keep: Callable[[str, str], bool],
    layer_of: Callable[[str], int],
    layers: int = 2,
) -> tuple[list[list[TarEntry]], list[DebPresence]]:
    """Unpack each locked .deb into layer `layer_of(name)`, keeping the paths `keep(pkg, path)`
    accepts, and write status.d/<pkg> (+ .md5sums of what was kept) for packages with at
    least one file kept — what hardbake's builder and distroless do."""
    out: list[list[TarEntry]] = [[] for _ in range(layers)]
    presence = []
    seen: set[str] = set()
    for lp in lock.packages:
        deb = Deb(cache.path(lp))
        control = deb.control()
        shipped = kept = 0
        kept_paths = set()
        target = out[layer_of(lp.name)]
        with deb.data() as members:
            for ti, f in members:
                path = ti.name.removeprefix("./").rstrip("/")
                if not path or ti.isdir():
                    continue
                shipped += 1
                link = ti.linkname.removeprefix("./") if ti.islnk() else None
                if not keep(lp.name, path) or path in seen or (link is not None and link not in kept_paths):
                    continue
                seen.add(path)
                kept += 1
                kept_paths.add(path)
                if ti.issym():
                    target.append(TarEntry.symlink(path, ti.linkname, mtime=EPOCH))
                elif link is not None:
                    target.append(TarEntry.hardlink(path, link, mtime=EPOCH))
                elif f is not None:
                    target.append(TarEntry.file(path, f.read(), mode=ti.mode & 0o7777, mtime=EPOCH))
        presence.append(DebPresence(lp.name, shipped, kept))
        if kept:
            stanza = control.control if control.control.endswith(b"\n") else control.control + b"\n"
            target.append(TarEntry.file(f"var/lib/dpkg/status.d/{lp.name}", stanza, mtime=EPOCH))
            md5 = [
                line
                for line in control.md5sums.decode().splitlines()
                if line.partition("  ")[2].strip() in kept_paths
            ]
            if md5:
                target.append(
                    TarEntry.file(
                        f"var/lib/dpkg/status.d/{lp.name}.md5sums",
                        ("\n".join(md5) + "\n").encode(),
                        mtime=EPOCH,
                    )
                )
    return out, presence


RUNTIME_PACKAGES = ("base-files", "ca-certificates", "libssl3", "zlib1g")
RUNTIME_DROPS = {"openssl": "no CLI in runtime images", "debconf": "no maintainer scripts"}
_LOWER = {"libc6", "libgcc-s1", "gcc-12-base", "base-files"}


def runtime_keep(pkg: str, path: str) -> bool:
    """The filters: gcc-12-base entirely (must not be claimed present), libssl3's engines
    (partial), docs but copyright, man pages, locales."""
    if pkg == "gcc-12-base":
        return False
    if pkg == "libssl3" and "/engines-3/" in path:
        return False
    if path.startswith("usr/share/doc/"):
        return path.endswith("/copyright")
    return not path.startswith(
        ("usr/share/man/", "usr/share/locale/", "usr/share/lintian/", "usr/share/info/")
    )


@dataclass(frozen=True)
class Runtime:
    lock: ArchLock
    presence: list[DebPresence]
    image: Image
    layout: Path  # OCI layout holding the image, tag `1`

    @property
    def ref(self) -> str:
        return f"oci:{self.layout}:1"


def build_runtime(debian_cache: Path, workdir: Path) -> Runtime:
    """Lock bookworm's base-files, ca-certificates, libssl3, zlib1g (openssl and debconf
    dropped), fetch the .debs into `debian_cache` through the machine's mirror, and assemble
    a two-layer distroless-style image in `workdir`."""
    client = DebianClient(mirrors=default_mirrors({}), cache_root=debian_cache, http=http_client())
    lock = client.lock(list(RUNTIME_PACKAGES), ["bookworm"], "amd64", RUNTIME_DROPS)
    client.fetch(lock.packages)
    layers, presence = distroless_layers(lock, client.cache, runtime_keep, lambda n: 0 if n in _LOWER else 1)
    img = image(BlobStore(workdir / "store", fsync=False), layers, platform=Platform("linux", "amd64"))
    out = workdir / "runtime"
    layout.write(out, img, tags=("1",))
    return Runtime(lock, presence, img, out)
