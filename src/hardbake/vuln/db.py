"""The vulnerability database: one SQLite file under the cache dir, filled by feed imports.

`VulnDB.open()` opens (or creates) `$HARDBAKE_CACHE/vuln/vuln.sqlite`. The schema carries a
version number; a file with another version is refused with a hint to rebuild it.

Imports are transactions: every `--from` of one update is loaded and parsed first (nothing
touches the DB yet), then all records are written between BEGIN and COMMIT. Any error —
a truncated file, an unknown state, an invalid range, a full disk — rolls back, and the DB
is exactly as it was. Re-importing the same (feed, location) replaces that source's rows.

Each source keeps its metadata: feed, location (path or URL), sha256 of the bytes read,
import time, upstream data date, what it covers (ecosystems), record counts, skips.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hardbake import paths
from hardbake.errors import EnvError, InputError
from hardbake.vuln.feeds import FEEDS
from hardbake.vuln.feeds import changelog as changelog_feed
from hardbake.vuln.feeds.interface import (
    AffectedPackage,
    ChangelogFix,
    DebianStatus,
    Document,
    Feed,
    FeedResult,
    KevEntry,
    Record,
    VulnRecord,
)
from hardbake.vuln.feeds.source import assign, load
from hardbake.vuln.provenance import SourceInfo, count_names, covers_of

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
  id INTEGER PRIMARY KEY, feed TEXT NOT NULL, location TEXT NOT NULL, sha256 TEXT NOT NULL,
  imported_at TEXT NOT NULL, data_date TEXT, covers TEXT NOT NULL, counts TEXT NOT NULL,
  skipped TEXT NOT NULL, UNIQUE (feed, location));
CREATE TABLE vulns (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  id TEXT NOT NULL, summary TEXT, cvss_vector TEXT, cvss_score REAL, vendor_severity TEXT,
  published TEXT, modified TEXT);
CREATE INDEX vulns_id ON vulns(id);
CREATE TABLE aliases (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  id TEXT NOT NULL, alias TEXT NOT NULL);
CREATE INDEX aliases_id ON aliases(id);
CREATE INDEX aliases_alias ON aliases(alias);
CREATE TABLE debian (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  vuln_id TEXT NOT NULL, source TEXT NOT NULL, release TEXT NOT NULL, kind TEXT NOT NULL,
  fixed_version TEXT, urgency TEXT, reason TEXT, origin TEXT, bug INTEGER);
CREATE INDEX debian_source ON debian(source);
CREATE TABLE affected (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  vuln_id TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL, distro TEXT,
  ranges TEXT NOT NULL, versions TEXT NOT NULL);
CREATE INDEX affected_pkg ON affected(ecosystem, name);
CREATE TABLE kev (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  cve TEXT NOT NULL, date_added TEXT, due_date TEXT, ransomware INTEGER, name TEXT);
CREATE INDEX kev_cve ON kev(cve);
CREATE TABLE changelog (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  source TEXT NOT NULL, version TEXT NOT NULL, vuln_id TEXT NOT NULL);
CREATE INDEX changelog_source ON changelog(source);
"""


def default_path() -> Path:
    return paths.cache_dir() / "vuln" / "vuln.sqlite"


@dataclass(frozen=True)
class Parsed:
    """One feed's records from one location, ready to be written."""

    feed: Feed
    location: str
    sha256: str
    result: FeedResult


Progress = Callable[[str], None]


class VulnDB:
    """A handle on the SQLite file. Use as a context manager, or call close()."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.path = path
        self.clock = clock

    @classmethod
    def open(cls, path: Path | None = None, *, clock: Callable[[], datetime] | None = None) -> VulnDB:
        path = Path(path) if path else default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            row = conn.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone()
            if row is None:
                conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA)  # stays open until the COMMIT below
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("COMMIT")
            else:
                (v,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if int(v) != SCHEMA_VERSION:
                    conn.close()
                    raise EnvError(
                        f"vulnerability DB {path} has schema version {v}; hardbake needs {SCHEMA_VERSION}",
                        hint=f"delete {path} and run `hardbake db update` again",
                    )
        except sqlite3.DatabaseError as e:
            raise EnvError(
                f"cannot open vulnerability DB {path}: {e}", hint=f"delete {path} and update"
            ) from e
        return cls(conn, path, clock or (lambda: datetime.now(UTC)))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> VulnDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- import ---------------------------------------------------------------------------

    @staticmethod
    def parse_location(location: str, progress: Progress | None = None, **kw: Any) -> list[Parsed]:
        """Load one `--from` argument and parse it with the feeds its content belongs to."""
        loaded = load(location, **kw)
        groups = assign(loaded, FEEDS)
        if not groups:
            raise InputError(
                f"--from {location}: no known feed format found",
                hint="expected Debian tracker JSON/lists, vuln-list-debian, OSV, Node.js WG, CISA KEV or "
                "a Debian changelog" + (f" ({'; '.join(loaded.ignored[:3])})" if loaded.ignored else ""),
            )
        out = []
        for feed, docs in groups.values():
            if progress:
                progress(f"parsing {len(docs)} {feed.name} document(s) from {location}")
            result = feed.parse(docs)
            result.skipped.extend(loaded.ignored)
            out.append(Parsed(feed, loaded.location, loaded.sha256, result))
        return out

    def update(
        self, locations: Sequence[str], progress: Progress | None = None, **kw: Any
    ) -> list[SourceInfo]:
        """Import every location in one transaction: all of them, or (on any error) none."""
        parsed = [p for loc in locations for p in self.parse_location(loc, progress, **kw)]
        return self.write(parsed, progress)

    def import_changelog(self, content: bytes | str, origin: str) -> SourceInfo:
        """Record the CVEs a `changelog.Debian(.gz)` names as fixed at their versions."""
        raw = content.encode() if isinstance(content, str) else content
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = Document(origin, raw.decode("utf-8", errors="replace"))
        result = changelog_feed.FEED.parse([doc])
        return self.write([Parsed(changelog_feed.FEED, origin, hashlib.sha256(raw).hexdigest(), result)])[0]

    def write(self, parsed: Sequence[Parsed], progress: Progress | None = None) -> list[SourceInfo]:
        c = self.conn
        now = self.clock().isoformat(timespec="seconds")
        c.execute("BEGIN IMMEDIATE")
        try:
            for p in parsed:
                if progress:
                    progress(f"writing {len(p.result.records)} {p.feed.name} records")
                c.execute("DELETE FROM sources WHERE feed = ? AND location = ?", (p.feed.name, p.location))
                counts = Counter(type(r).__name__ for r in p.result.records)
                cur = c.execute(
                    "INSERT INTO sources (feed, location, sha256, imported_at, data_date, covers, counts,"
                    " skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        p.feed.name,
                        p.location,
                        p.sha256,
                        now,
                        p.result.data_date,
                        json.dumps(covers_of(p.result.records)),
                        json.dumps(count_names(counts)),
                        json.dumps(p.result.skipped),
                    ),
                )
                self._insert(int(cur.lastrowid or 0), p.result.records)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return [
            s
            for s in self.sources()
            if any(s.feed == p.feed.name and s.location == p.location for p in parsed)
        ]

    def _insert(self, sid: int, records: Iterable[Record]) -> None:
        vulns: list[tuple[Any, ...]] = []
        aliases: list[tuple[Any, ...]] = []
        debian: list[tuple[Any, ...]] = []
        affected: list[tuple[Any, ...]] = []
        kev: list[tuple[Any, ...]] = []
        changelog: list[tuple[Any, ...]] = []
        for r in records:
            if isinstance(r, DebianStatus):
                debian.append(
                    (
                        sid,
                        r.vuln_id,
                        r.source,
                        r.release,
                        r.kind.value,
                        r.fixed_version,
                        r.urgency,
                        r.reason,
                        r.origin,
                        r.bug,
                    )
                )
            elif isinstance(r, AffectedPackage):
                affected.append(
                    (
                        sid,
                        r.vuln_id,
                        r.ecosystem.value,
                        r.name,
                        r.distro,
                        json.dumps(list(r.ranges)),
                        json.dumps(list(r.versions)),
                    )
                )
            elif isinstance(r, VulnRecord):
                vulns.append(
                    (
                        sid,
                        r.id,
                        r.summary,
                        r.cvss_vector,
                        r.cvss_score,
                        r.vendor_severity,
                        r.published,
                        r.modified,
                    )
                )
                aliases.extend((sid, r.id, a) for a in r.aliases)
            elif isinstance(r, KevEntry):
                kev.append((sid, r.cve, r.date_added, r.due_date, int(r.ransomware), r.name))
            elif isinstance(r, ChangelogFix):
                changelog.append((sid, r.source, r.version, r.vuln_id))
        c = self.conn
        c.executemany("INSERT INTO vulns VALUES (?, ?, ?, ?, ?, ?, ?, ?)", vulns)
        c.executemany("INSERT INTO aliases VALUES (?, ?, ?)", aliases)
        c.executemany("INSERT INTO debian VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", debian)
        c.executemany("INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?, ?)", affected)
        c.executemany("INSERT INTO kev VALUES (?, ?, ?, ?, ?, ?)", kev)
        c.executemany("INSERT INTO changelog VALUES (?, ?, ?, ?)", changelog)

    # -- metadata -------------------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        rows = self.conn.execute(
            "SELECT feed, location, sha256, imported_at, data_date, covers, counts, skipped FROM sources"
            " ORDER BY feed, location"
        ).fetchall()
        return [
            SourceInfo(
                f,
                loc,
                sha,
                datetime.fromisoformat(at),
                dd,
                tuple(json.loads(cov)),
                json.loads(cnt),
                tuple(json.loads(sk)),
            )
            for f, loc, sha, at, dd, cov, cnt, sk in rows
        ]

    def stale(self, max_age: timedelta, now: datetime | None = None) -> list[str]:
        """Warnings for an empty DB or sources imported longer ago than `max_age`."""
        now = now or self.clock()
        srcs = self.sources()
        if not srcs:
            return [f"vulnerability DB {self.path} is empty: run `hardbake db update --from ...`"]
        return [
            f"{s.feed} ({s.location}) was imported {s.age(now).days} days ago (max age {max_age.days} days):"
            " run `hardbake db update`"
            for s in srcs
            if s.age(now) > max_age
        ]

    def size_bytes(self) -> int:
        (pages,) = self.conn.execute("PRAGMA page_count").fetchone()
        (size,) = self.conn.execute("PRAGMA page_size").fetchone()
        return int(pages) * int(size)

    # -- queries used by matching ---------------------------------------------------------

    def debian_rows(self, source: str) -> list[tuple[Any, ...]]:
        """(vuln_id, release, kind, fixed_version, urgency, reason, origin, imported_at) rows."""
        return self.conn.execute(
            "SELECT d.vuln_id, d.release, d.kind, d.fixed_version, d.urgency, d.reason, d.origin,"
            " s.imported_at FROM debian d JOIN sources s ON s.id = d.source_id WHERE d.source = ?",
            (source,),
        ).fetchall()

    def affected_rows(self, ecosystem: str, name: str) -> list[tuple[Any, ...]]:
        """(vuln_id, distro, ranges JSON, versions JSON) rows."""
        return self.conn.execute(
            "SELECT vuln_id, distro, ranges, versions FROM affected WHERE ecosystem = ? AND name = ?",
            (ecosystem, name),
        ).fetchall()

    def vuln_rows(self, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """(id, summary, cvss_vector, cvss_score, vendor_severity) rows for these ids."""
        q = ",".join("?" * len(ids))
        return self.conn.execute(
            f"SELECT id, summary, cvss_vector, cvss_score, vendor_severity FROM vulns WHERE id IN ({q})",  # noqa: S608
            list(ids),
        ).fetchall()

    def aliases_of(self, vid: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT alias FROM aliases WHERE id = ? UNION SELECT id FROM aliases WHERE alias = ?", (vid, vid)
        ).fetchall()
        return {r[0] for r in rows} - {vid}

    def known_exploited(self, ids: Iterable[str]) -> bool:
        ids = [i for i in ids if i.startswith("CVE-")]
        if not ids:
            return False
        q = ",".join("?" * len(ids))
        return self.conn.execute(f"SELECT 1 FROM kev WHERE cve IN ({q}) LIMIT 1", ids).fetchone() is not None  # noqa: S608

    def changelog_fixes(self, source: str) -> dict[str, str]:
        """vuln id -> lowest version whose changelog entry names it, for a source package."""
        from hardbake.debian.version import DebVersion

        best: dict[str, str] = {}
        for vid, version in self.conn.execute(
            "SELECT vuln_id, version FROM changelog WHERE source = ?", (source,)
        ):
            if vid not in best or DebVersion(version) < DebVersion(best[vid]):
                best[vid] = version
        return best

    def debian_vulns_for(self, sources: Iterable[str]) -> list[tuple[str, str, str, str]]:
        """(vuln_id, source, release, kind) of every tracker row for these source packages."""
        srcs = sorted(set(sources))
        if not srcs:
            return []
        q = ",".join("?" * len(srcs))
        return self.conn.execute(
            f"SELECT DISTINCT vuln_id, source, release, kind FROM debian WHERE source IN ({q})",  # noqa: S608
            srcs,
        ).fetchall()
