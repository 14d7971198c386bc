"""Reading `--from FILE|DIR|URL` into documents, and recognising each one's feed by content.

Names never decide the format: every file (plain, gzip or zip member; a directory is walked)
is decoded as JSON when it parses as JSON, otherwise as UTF-8 text, then offered to each
feed's `detect` in a fixed order. The sample bundles (`{"_meta": ..., "<part>": ...}`) are
unwrapped: each part is a document of its own and `_meta`'s `commit_date` dates them.
URLs are fetched with httpx (any scheme other than http/https is refused).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from hardbake.errors import InputError, NetworkError
from hardbake.vuln.feeds.interface import Document, Feed

_ZIP = b"PK\x03\x04"
_GZIP = b"\x1f\x8b"
#: DSA/DLA lists open with `[03 Oct 2023] DSA-...`: a "[" that is text, not a JSON array
_ADVISORY_HEAD = re.compile(r"^\[\d{1,2} [A-Z][a-z]{2} \d{4}\] ")


@dataclass
class Loaded:
    location: str
    sha256: str
    documents: list[Document] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _decode(name: str, raw: bytes, date: str | None) -> Iterator[Document]:
    if raw[:2] == _GZIP:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise InputError(f"{name}: truncated or corrupt gzip data: {e}") from e
        name = name.removesuffix(".gz")
    if raw[:4] == _ZIP:
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                for info in sorted(z.infolist(), key=lambda i: i.filename):
                    if not info.is_dir():
                        yield from _decode(f"{name}!{info.filename}", z.read(info), date)
        except zipfile.BadZipFile as e:
            raise InputError(f"{name}: truncated or corrupt zip archive: {e}") from e
        return
    text = raw.decode("utf-8", errors="strict") if raw else ""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[") and not _ADVISORY_HEAD.match(stripped):
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(
                f"{name}: not valid JSON ({e.msg} at line {e.lineno}); truncated download?",
                hint="fetch the feed again; nothing was imported",
            ) from e
        yield from _unwrap(name, data, date)
        return
    yield Document(name, text, date)


def _unwrap(name: str, data: Any, date: str | None) -> Iterator[Document]:
    if isinstance(data, Mapping) and isinstance(data.get("_meta"), Mapping):
        meta = data["_meta"]
        d = meta.get("commit_date") or meta.get("date") or date
        for k, v in data.items():
            if k != "_meta":
                yield Document(f"{name}#{k}", v, str(d) if d else None)
        return
    yield Document(name, data, date)


def _mtime(p: Path) -> str:
    return datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(timespec="seconds")


def _fetch(url: str, client: httpx.Client | None) -> tuple[bytes, str | None]:
    own = client is None
    c = client or httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True)
    try:
        r = c.get(url)
        r.raise_for_status()
        return r.content, r.headers.get("last-modified")
    except httpx.HTTPStatusError as e:
        raise NetworkError(f"downloading {url} failed: HTTP {e.response.status_code}") from e
    except httpx.HTTPError as e:
        raise NetworkError(f"downloading {url} failed: {e}", hint="check the URL and the network") from e
    finally:
        if own:
            c.close()


def load(location: str, client: httpx.Client | None = None) -> Loaded:
    """Read one `--from` argument into documents (not yet assigned to feeds)."""
    h = hashlib.sha256()
    if location.startswith(("http://", "https://")):
        raw, date = _fetch(location, client)
        h.update(raw)
        out = Loaded(location, "")
        out.documents.extend(_decode(location, raw, date))
    elif "://" in location:
        raise InputError(
            f"unsupported URL scheme in {location!r}", hint="use http(s)://, a file or a directory"
        )
    else:
        p = Path(location).expanduser()
        if not p.exists():
            raise InputError(f"--from {location}: no such file or directory")
        out = Loaded(str(p.resolve()), "")
        files = (
            [p]
            if p.is_file()
            else sorted(
                Path(root) / f
                for root, dirs, fs in os.walk(p)
                for f in fs
                if not any(part.startswith(".") for part in Path(root).relative_to(p).parts)
            )
        )
        for f in files:
            raw = f.read_bytes()
            h.update(f.name.encode() + b"\0" + raw)
            try:
                out.documents.extend(_decode(str(f), raw, _mtime(f)))
            except UnicodeDecodeError:
                if p.is_file():
                    raise InputError(f"{f}: neither JSON, text, gzip nor zip") from None
                out.ignored.append(f"{f}: binary file")
    out.sha256 = h.hexdigest()
    return out


def assign(loaded: Loaded, feeds: Sequence[Feed]) -> dict[str, tuple[Feed, list[Document]]]:
    """Group documents by the first feed that recognises each; the rest become `ignored`."""
    groups: dict[str, tuple[Feed, list[Document]]] = {}
    for doc in loaded.documents:
        feed = next((f for f in feeds if f.detect(doc)), None)
        if feed is None:
            loaded.ignored.append(f"{doc.name}: not a known feed format")
            continue
        groups.setdefault(feed.name, (feed, []))[1].append(doc)
    return groups
