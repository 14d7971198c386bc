"""Changelog evidence for an image: each Debian source package's `changelog.Debian.gz`.

Debian Policy 12.7: every binary package ships `/usr/share/doc/<package>/changelog.Debian.gz`
(`changelog.gz` for native packages), or a doc directory that is a symlink to another
package of the same source. The CVEs a version's entry names are fixed at that version
(`hardbake.vuln.feeds.changelog`), evidence for `fixed` that needs no feed.

Where it is read from, per source package and version:
1. the image itself, in the same streaming pass as the inventory (`ChangelogReader`);
2. else the .deb in hardbake's package cache, found through the image's lock (the cache is
   keyed by the .deb's sha256, which only the lock knows): distroless-style images drop
   /usr/share/doc but hardbake fetched the .debs to build them.

Each changelog is imported as its own DB source, `changelog:<source>_<version>`, so
importing is idempotent and one image's evidence never replaces another's.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from hardbake.debian.cache import PackageCache
from hardbake.debian.deb import Deb
from hardbake.debian.lock import ArchLock
from hardbake.errors import Error
from hardbake.oci.filesystem import FileInfo
from hardbake.sbom.inventory import Collected, Context, FileReader
from hardbake.sbom.inventory.interface import bounded_read
from hardbake.sbom.model import Ecosystem, Inventory
from hardbake.vuln.db import Parsed, VulnDB
from hardbake.vuln.feeds import changelog as changelog_feed
from hardbake.vuln.feeds.interface import Document
from hardbake.vuln.state import FeedFormatError

_DOC = re.compile(r"^usr/share/doc/[^/]+/changelog(?:\.Debian)?\.gz$")
_LIMIT = 32 << 20
NAMES = ("changelog.Debian.gz", "changelog.gz")


class ChangelogReader(FileReader):
    name: ClassVar[str] = "changelogs"

    def wants(self, info: FileInfo) -> bool:
        return info.path.startswith("usr/share/doc/") and bool(_DOC.match(info.path))

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        return bounded_read(stream, info, _LIMIT)


@dataclass
class Evidence:
    """Changelog text per (source, version), and where each came from."""

    texts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # -> (origin, text)
    missing: list[tuple[str, str]] = field(default_factory=list)


def _gunzip(data: bytes) -> str | None:
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    except (OSError, EOFError, zlib.error):
        return None
    return raw.decode("utf-8", "replace")


def _from_deb(cache: PackageCache, lock: ArchLock, binary: str) -> bytes | None:
    lp = lock.package(binary)
    if lp is None or not cache.has(lp):
        return None
    wanted = {f"usr/share/doc/{binary}/{n}" for n in NAMES}
    try:
        with Deb(cache.path(lp)).data() as members:
            for ti, f in members:
                if f is not None and ti.name.lstrip("./") in wanted:
                    return f.read(_LIMIT + 1)[:_LIMIT]
    except Error:
        return None
    return None


def gather(
    inv: Inventory,
    collected: Collected,
    *,
    lock: ArchLock | None = None,
    cache: PackageCache | None = None,
) -> Evidence:
    """The changelog of every deb source package of `inv` that can be found."""
    ctx = Context(collected.fs, inv.os, inv.image.layers)
    found: Mapping[str, object] = {
        p: f.result for p, f in collected.found.get(ChangelogReader.name, {}).items()
    }
    by_source: dict[tuple[str, str], list[str]] = {}
    for p in inv.by_ecosystem(Ecosystem.deb):
        by_source.setdefault((p.source or p.name, p.source_version or p.version), []).append(p.name)
    ev = Evidence()
    for (source, version), binaries in sorted(by_source.items()):
        text = None
        for binary in binaries:
            for n in NAMES:
                e = ctx.resolve(f"usr/share/doc/{binary}/{n}")
                data = found.get(e.path) if e is not None else None
                if isinstance(data, bytes) and (text := _gunzip(data)):
                    break
            if text:
                break
        origin = f"changelog:{source}_{version}"
        if not text and lock is not None and cache is not None:
            # any binary of the source will do (a doc dir is often a symlink to a sibling's)
            siblings = binaries + sorted(
                lp.name for lp in lock.packages if lp.source == source and lp.name not in binaries
            )
            for binary in siblings:
                data = _from_deb(cache, lock, binary)
                if data is not None and (text := _gunzip(data)):
                    break
        if text:
            ev.texts[(source, version)] = (origin, text)
        else:
            ev.missing.append((source, version))
    return ev


def import_evidence(db: VulnDB, ev: Evidence) -> tuple[int, list[str]]:
    """Write every changelog as its own source, in one transaction; returns (imported,
    warnings for changelogs that are not changelogs)."""
    parsed: list[Parsed] = []
    warnings: list[str] = []
    for origin, text in ev.texts.values():
        try:
            result = changelog_feed.FEED.parse([Document(origin, text)])
        except FeedFormatError as e:
            warnings.append(f"{origin}: {e.message}")
            continue
        parsed.append(Parsed(changelog_feed.FEED, origin, hashlib.sha256(text.encode()).hexdigest(), result))
    if parsed:
        db.write(parsed)
    return len(parsed), warnings


def absent_sources(inv: Inventory, candidates: Iterable[str]) -> list[str]:
    """Candidates of which no binary package, and no package of that source, is present."""
    present = {p.source or p.name for p in inv.by_ecosystem(Ecosystem.deb)}
    present |= {p.name for p in inv.by_ecosystem(Ecosystem.deb)}
    return sorted(set(candidates) - present)
