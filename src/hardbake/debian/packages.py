"""A fast, lazily parsed view of a Debian `Packages` index.

python-debian parses every field of every stanza (5.3 s for trixie main amd64, 68,829
stanzas); the resolver only ever looks at a few hundred of them. So this module splits the
verified index into stanzas once (C-speed `bytes.split`), maps package names and the names
in `Provides` to stanza numbers, and parses a stanza into a `PackageRecord` only when asked.
The name/provides maps are cached on disk beside the index (marshal), keyed by the index's
sha256, so a warm start reads two files and builds nothing.

`parse_all()` parses every stanza eagerly for callers that really need all of them.
"""

from __future__ import annotations

import marshal
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from hardbake import atomic
from hardbake.debian.version import DebVersion
from hardbake.errors import InputError, IntegrityError

_PROVIDES_NAME_RE = re.compile(rb"(?:^|,)\s*([a-z0-9][a-z0-9+.\-]*)")
_CACHE_FORMAT = 2

#: Debian Policy 2.5 priorities, most important first (used to break ties deterministically).
PRIORITY_RANK = {"required": 0, "important": 1, "standard": 2, "optional": 3, "extra": 4}


@dataclass(frozen=True, slots=True)
class PackageRecord:
    """One binary package as an index describes it (the fields hardbake uses)."""

    name: str
    version: DebVersion
    architecture: str
    suite: str
    repo: str  # the repository's label (e.g. the mirror URL key); where to download from
    filename: str
    size: int
    sha256: str
    source: str
    source_version: DebVersion
    installed_size: int = 0
    multi_arch: str = "no"
    essential: bool = False
    priority: str = "optional"
    section: str = ""
    depends: str = ""
    pre_depends: str = ""
    provides: str = ""
    conflicts: str = ""
    breaks: str = ""
    description: str = ""
    homepage: str = ""
    maintainer: str = ""
    fields: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, str(self.version), self.architecture)

    def __str__(self) -> str:
        return f"{self.name}={self.version}:{self.architecture}"


def _parse_stanza(raw: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    last = ""
    for line in raw.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line
            continue
        k, sep, v = line.partition(":")
        if not sep:
            raise ValueError(f"malformed line {line[:60]!r}")
        last = k
        fields[k] = v.strip()
    return fields


def record_from_fields(f: dict[str, str], suite: str, repo: str) -> PackageRecord:
    """Build a record from a stanza's fields; raises KeyError/ValueError on missing fields."""
    name = f["Package"]
    version = DebVersion(f["Version"])
    source_field = f.get("Source", "")
    if source_field:
        src, _, rest = source_field.partition(" ")
        src_version = DebVersion(rest.strip().strip("()")) if rest.strip() else version
    else:
        src, src_version = name, version
    return PackageRecord(
        name=name,
        version=version,
        architecture=f["Architecture"],
        suite=suite,
        repo=repo,
        filename=f.get("Filename", ""),
        size=int(f.get("Size", "0") or 0),
        sha256=f.get("SHA256", ""),
        source=src,
        source_version=src_version,
        installed_size=int(f.get("Installed-Size", "0") or 0),
        multi_arch=f.get("Multi-Arch", "no"),
        essential=f.get("Essential", "no") == "yes",
        priority=f.get("Priority", "optional"),
        section=f.get("Section", ""),
        depends=f.get("Depends", ""),
        pre_depends=f.get("Pre-Depends", ""),
        provides=f.get("Provides", ""),
        conflicts=f.get("Conflicts", ""),
        breaks=f.get("Breaks", ""),
        description=f.get("Description", "").split("\n", 1)[0],
        homepage=f.get("Homepage", ""),
        maintainer=f.get("Maintainer", ""),
        fields=tuple(f.items()),
    )


class PackagesIndex:
    """The stanzas of one verified `Packages` file, looked up by name or provided name."""

    def __init__(self, data: bytes, *, suite: str, repo: str, origin: str) -> None:
        self.suite = suite
        self.repo = repo
        self.origin = origin  # the file the index came from, for error messages
        self._data = data
        self._records: dict[int, PackageRecord] = {}
        self._spans = array("Q")
        self.by_name: dict[str, list[int]] = {}
        self.by_provides: dict[str, list[int]] = {}

    @classmethod
    def build(cls, data: bytes, *, suite: str, repo: str, origin: str) -> PackagesIndex:
        """Index `data` from scratch (the cold path)."""
        idx = cls(data, suite=suite, repo=repo, origin=origin)
        idx._index()
        return idx

    def _index(self) -> None:
        spans = self._spans
        by_name = self.by_name
        by_provides = self.by_provides
        pos = 0
        i = 0
        for s in self._data.split(b"\n\n"):
            start, pos = pos, pos + len(s) + 2
            stripped = s.lstrip(b"\n")
            if not stripped.strip():
                continue
            start += len(s) - len(stripped)
            if not stripped.startswith(b"Package: "):
                # Debian's archive always writes Package first; anything else is not an index
                raise IntegrityError(
                    f"{self.origin}: stanza {i + 1} (byte {start}) does not start with 'Package:'",
                    hint="the file is not a Debian Packages index or is corrupt",
                )
            spans.append(start)
            spans.append(start + len(stripped))
            end = stripped.find(b"\n")
            name = stripped[9 : end if end >= 0 else None].decode().strip()
            by_name.setdefault(name, []).append(i)
            p = stripped.find(b"\nProvides: ")
            if p >= 0:
                pe = stripped.find(b"\n", p + 11)
                for m in _PROVIDES_NAME_RE.finditer(stripped[p + 11 : pe if pe >= 0 else None]):
                    by_provides.setdefault(m.group(1).decode(), []).append(i)
            i += 1

    def __len__(self) -> int:
        return len(self._spans) // 2

    def raw(self, i: int) -> bytes:
        """The stanza's bytes exactly as the index holds them."""
        return self._data[self._spans[2 * i] : self._spans[2 * i + 1]]

    def record(self, i: int) -> PackageRecord:
        rec = self._records.get(i)
        if rec is None:
            try:
                rec = record_from_fields(_parse_stanza(self.raw(i)), self.suite, self.repo)
            except (KeyError, ValueError, InputError) as e:
                raise IntegrityError(
                    f"{self.origin}: stanza {i + 1} is malformed ({e})",
                    hint="refresh the index; if it persists the mirror serves a broken file",
                ) from e
            self._records[i] = rec
        return rec

    def named(self, name: str) -> list[PackageRecord]:
        return [self.record(i) for i in self.by_name.get(name, ())]

    def providing(self, name: str) -> list[PackageRecord]:
        return [self.record(i) for i in self.by_provides.get(name, ())]

    def essential(self) -> list[str]:
        """Names of the packages marked `Essential: yes` (found without parsing every stanza)."""
        out = []
        for i in range(len(self)):
            if b"\nEssential: yes" in self.raw(i):
                out.append(self.record(i).name)
        return sorted(set(out))

    def parse_all(self) -> Iterator[PackageRecord]:
        for i in range(len(self)):
            yield self.record(i)

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(self.by_name)

    # -- the parsed-index cache ---------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the spans and maps; only valid beside the exact bytes they were built from."""
        blob = (_CACHE_FORMAT, len(self._data), self._spans.tobytes(), self.by_name, self.by_provides)
        atomic.write_bytes(path, marshal.dumps(blob))

    @classmethod
    def open_cached(
        cls, data: bytes, cache_path: Path, *, suite: str, repo: str, origin: str
    ) -> PackagesIndex:
        """The index of `data`, from `cache_path` when it holds one for these bytes (warm path).

        `cache_path` must be keyed by the sha256 of `data` (the caller verified it); the
        format number and byte length are checked again so a stale or foreign file is rebuilt.
        """
        idx = cls(data, suite=suite, repo=repo, origin=origin)
        try:
            # our own cache file, under the user's cache dir; only plain data is ever read back
            fmt, size, spans, by_name, by_provides = marshal.loads(cache_path.read_bytes())  # noqa: S302
            if fmt != _CACHE_FORMAT or size != len(data):
                raise ValueError("stale")
            idx._spans.frombytes(spans)
            idx.by_name, idx.by_provides = by_name, by_provides
        except (OSError, ValueError, EOFError, TypeError):
            idx = cls.build(data, suite=suite, repo=repo, origin=origin)
            idx.save(cache_path)
        return idx
