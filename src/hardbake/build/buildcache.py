"""A cache of whole builds: when nothing an image is made from changed, reuse the image.

The key covers every input of a build: the effective spec, the locks of the architectures
built (and of the parent, for `extends:`), the contents of local files the spec names
(`source:` files, certificates), the build options that shape the bytes (layers, compression
level, the dev image's apt sources, SOURCE_DATE_EPOCH), and hardbake's version. A hit is an
OCI layout under the cache plus the per-architecture summary, so a rebuild whose inputs did
not change writes its outputs and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from hardbake import __version__, atomic
from hardbake.errors import Error
from hardbake.oci import layout
from hardbake.oci.image import Image, ImageIndex
from hardbake.spec.load import LoadedSpec

FORMAT = "hardbake-build-cache/2"  # 2: summaries carry the SBOMs


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def key(loaded: LoadedSpec, locks: dict[str, Any], options: dict[str, Any]) -> str:
    spec = loaded.spec
    base = loaded.path.parent
    files = {p.source: _file_digest(base / p.source) for p in spec.paths if p.source}
    files.update({c: _file_digest(base / c) for c in spec.certificates})
    blob = {
        "format": FORMAT,
        "hardbake": __version__,
        "spec": loaded.digest,
        "locks": locks,
        "files": files,
        "options": options,
        "sde": os.environ.get("SOURCE_DATE_EPOCH"),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


class BuildCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, k: str) -> tuple[Image | ImageIndex, dict[str, Any]] | None:
        d = self.root / k
        try:
            summary = json.loads((d / "summary.json").read_text())
            return layout.read(d / "image"), summary
        except (OSError, ValueError, Error):
            return None

    def put(self, k: str, image: Image | ImageIndex, summary: dict[str, Any]) -> None:
        d = self.root / k
        if d.exists():
            shutil.rmtree(d, ignore_errors=True)
        layout.write(d / "image", image)
        atomic.write_text(d / "summary.json", json.dumps(summary, sort_keys=True))
