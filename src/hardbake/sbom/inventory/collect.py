"""Reading an image once for every reader: the streaming pass behind the inventory.

`collect(image, readers)` runs `Filesystem.scan` with a capture that hands each regular file
to the first reader that wants it, as the layer streams by: every layer is read exactly
once, and every layer's digest and diff_id are verified on the way (a corrupt layer, a
`..` entry or a digest mismatch fails before any result exists). What a later layer hid or
replaced is dropped afterwards (`Filesystem.shows`). Two cases take a second, targeted read:
a wanted file that is a hardlink in its layer (its bytes live under another name), and a
file a reader can only parse with random access (`NEEDS_SEEK`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from hardbake.oci.filesystem import EntryKind, FileInfo, Filesystem
from hardbake.oci.image import Image
from hardbake.sbom.inventory.interface import NEEDS_SEEK, FileReader, Found, Unreadable

_SPOOL = 16 << 20


@dataclass
class Collected:
    fs: Filesystem
    found: dict[str, dict[str, Found]]  # reader name -> path -> what it read
    warnings: list[str] = field(default_factory=list)


class _Capture:
    def __init__(self, readers: Sequence[FileReader]) -> None:
        self.readers = readers
        self.found: dict[str, dict[str, Found]] = {r.name: {} for r in readers}
        self.warnings: dict[str, str] = {}
        self._pending: FileReader | None = None

    def reader_for(self, info: FileInfo) -> FileReader | None:
        for r in self.readers:
            if r.wants(info):
                return r
        return None

    def wants(self, info: FileInfo) -> bool:
        self._pending = self.reader_for(info)
        return self._pending is not None

    def take(self, info: FileInfo, stream: BinaryIO) -> None:
        reader, self._pending = self._pending, None
        assert reader is not None
        self.read(reader, info, stream)

    def read(self, reader: FileReader, info: FileInfo, stream: BinaryIO) -> None:
        try:
            result = reader.read(info, stream)
        except Unreadable as e:
            self.warnings[info.path] = f"{reader.name}: {e}"
            self.found[reader.name].pop(info.path, None)
            return
        self.warnings.pop(info.path, None)
        self.found[reader.name][info.path] = Found(info, result)


def collect(image: Image, readers: Sequence[FileReader]) -> Collected:
    cap = _Capture(readers)
    fs = Filesystem.scan(image, cap)
    # keep only what the final tree still shows
    for name, files in cap.found.items():
        cap.found[name] = {p: f for p, f in files.items() if fs.shows(f.info)}
    warnings = {p: w for p, w in cap.warnings.items() if (e := fs.get(p)) is not None and e.is_file}
    # second reads: hardlinks to wanted names (every regular member was offered during the
    # pass; a hardlink member was not), and files that need random access
    again: dict[str, tuple[FileReader, FileInfo]] = {}
    for e in fs:
        r = cap.reader_for(e) if e.kind is EntryKind.HARDLINK and e.is_file else None
        if r is not None and e.path not in cap.found[r.name]:
            again[e.path] = (r, e)
    for r in readers:
        for path, got in cap.found[r.name].items():
            if got.result is NEEDS_SEEK:
                again[path] = (r, got.info)
    if again:
        for info, stream in fs.open_files(list(again)):
            r, _ = again[info.path]
            with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
                shutil.copyfileobj(stream, spool, 1 << 20)
                spool.seek(0)
                prior = cap.found[r.name].get(info.path)
                if prior is None:
                    cap.read(r, info, spool)  # type: ignore[arg-type]
                    prior = cap.found[r.name].get(info.path)
                if prior is not None and prior.result is NEEDS_SEEK:
                    spool.seek(0)
                    try:
                        cap.found[r.name][info.path] = Found(info, r.read_seekable(info, spool))  # type: ignore[arg-type]
                    except Unreadable as e:
                        cap.warnings[info.path] = f"{r.name}: {e}"
                        cap.found[r.name].pop(info.path, None)
        warnings.update({p: w for p, w in cap.warnings.items() if p in again})
    return Collected(fs, cap.found, [warnings[p] for p in sorted(warnings)])
