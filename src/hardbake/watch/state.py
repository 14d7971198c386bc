"""The patch loop's memory: one SQLite file (stdlib sqlite3), schema versioned, path chosen by the user.

What it keeps:

* `images`: each watched image's published digest, repository, lock and the packages in it;
* `digests`: every digest an image ever had, when it was published and when superseded;
* `runs` and `rebuilds`: each watch iteration, each rebuild with its reasons, package
  changes, test results, CVEs fixed, old and new digest, and the outcome;
* `vulns`: per image, per vulnerability and source package, the SLA timestamps: first seen
  (first scan that reported it), fix available (the archive offered a fixed package),
  fixed published (a rebuilt image without it was published);
* `alerts`: which SLA alerts each sink took, so a lasting condition alerts once per level and sink.

Times are UTC ISO 8601 strings from an injected clock. Every change is one transaction.
`open()` refuses a file of another schema version rather than guessing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hardbake.build.plan import ImageLock
from hardbake.errors import EnvError
from hardbake.watch.records import Observation, PublishedImage, RebuildRecord, VulnRow, iso, parse_time

SCHEMA_VERSION = 1
Clock = Callable[[], datetime]

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
  name TEXT PRIMARY KEY, family TEXT NOT NULL, tags TEXT NOT NULL, spec TEXT NOT NULL,
  repository TEXT, digest TEXT, published_at TEXT, lock TEXT, packages TEXT);
CREATE TABLE digests (
  image TEXT NOT NULL, digest TEXT NOT NULL, repository TEXT, published_at TEXT NOT NULL,
  superseded_at TEXT, rebuild_id INTEGER);
CREATE INDEX digests_image ON digests(image);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, dry_run INTEGER NOT NULL,
  summary TEXT);
CREATE TABLE rebuilds (
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), image TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, outcome TEXT NOT NULL, reasons TEXT NOT NULL,
  changes TEXT NOT NULL, old_digest TEXT, new_digest TEXT, tests TEXT NOT NULL,
  vulns_fixed TEXT NOT NULL, verified INTEGER, error TEXT, lock_sha256 TEXT);
CREATE INDEX rebuilds_image ON rebuilds(image);
CREATE TABLE vulns (
  image TEXT NOT NULL, vuln TEXT NOT NULL, package TEXT NOT NULL, severity TEXT NOT NULL,
  kev INTEGER NOT NULL, state TEXT NOT NULL, fixed_version TEXT, first_seen TEXT NOT NULL,
  fix_available_at TEXT, fixed_published_at TEXT, fixed_digest TEXT, last_seen TEXT NOT NULL,
  via TEXT NOT NULL, PRIMARY KEY (image, vuln, package));
CREATE TABLE alerts (
  image TEXT NOT NULL, vuln TEXT NOT NULL, package TEXT NOT NULL, level TEXT NOT NULL,
  sink TEXT NOT NULL, sent_at TEXT NOT NULL, PRIMARY KEY (image, vuln, package, level, sink));
"""


class StateDB:
    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Clock) -> None:
        self.conn = conn
        self.path = path
        self.clock = clock

    @classmethod
    def open(cls, path: Path, *, clock: Clock | None = None) -> StateDB:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
                conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA)
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("COMMIT")
            else:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is None or int(row[0]) != SCHEMA_VERSION:
                    conn.close()
                    raise EnvError(
                        f"state DB {path} has schema version {row[0] if row else '?'}; "
                        f"this hardbake needs {SCHEMA_VERSION}",
                        hint="use another --state file, or the hardbake version that wrote this one",
                    )
        except sqlite3.DatabaseError as e:
            raise EnvError(f"cannot open state DB {path}: {e}", hint="is it a hardbake state file?") from e
        return cls(conn, path, clock or (lambda: datetime.now(UTC)))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -- images ---------------------------------------------------------------------------

    def image(self, name: str) -> PublishedImage | None:
        row = self.conn.execute(
            "SELECT name, family, tags, spec, repository, digest, published_at, lock, packages"
            " FROM images WHERE name = ?",
            (name,),
        ).fetchone()
        return self._image(row) if row else None

    def images(self) -> list[PublishedImage]:
        rows = self.conn.execute(
            "SELECT name, family, tags, spec, repository, digest, published_at, lock, packages"
            " FROM images ORDER BY name"
        ).fetchall()
        return [self._image(r) for r in rows]

    @staticmethod
    def _image(row: tuple[Any, ...]) -> PublishedImage:
        name, family, tags, spec, repo, digest, at, lock, pkgs = row
        return PublishedImage(
            name,
            family,
            tuple(json.loads(tags)),
            spec,
            repo,
            digest,
            parse_time(at),
            ImageLock.from_json(json.loads(lock), f"state image {name}") if lock else None,
            tuple(json.loads(pkgs or "[]")),
        )

    def publish(
        self,
        *,
        name: str,
        family: str,
        tags: Sequence[str],
        spec: str,
        repository: str,
        digest: str,
        lock: ImageLock,
        packages: Sequence[dict[str, str]],
        rebuild_id: int | None,
    ) -> None:
        """Make `digest` the image's current one; the previous digest is superseded now."""
        now = self.now()
        with self._tx() as c:
            c.execute(
                "UPDATE digests SET superseded_at = ? WHERE image = ? AND superseded_at IS NULL AND digest != ?",
                (now, name, digest),
            )
            same = c.execute(
                "SELECT 1 FROM digests WHERE image = ? AND digest = ? AND superseded_at IS NULL",
                (name, digest),
            ).fetchone()
            if same is None:
                c.execute(
                    "INSERT INTO digests VALUES (?, ?, ?, ?, NULL, ?)",
                    (name, digest, repository, now, rebuild_id),
                )
            c.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                " family = excluded.family, tags = excluded.tags, spec = excluded.spec,"
                " repository = excluded.repository, digest = excluded.digest,"
                " published_at = excluded.published_at, lock = excluded.lock, packages = excluded.packages",
                (
                    name,
                    family,
                    json.dumps(list(tags)),
                    spec,
                    repository,
                    digest,
                    now,
                    json.dumps(lock.to_json(), sort_keys=True),
                    json.dumps(list(packages), sort_keys=True),
                ),
            )

    def link_rebuild(self, name: str, digest: str, rebuild_id: int) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE digests SET rebuild_id = ? WHERE image = ? AND digest = ? AND rebuild_id IS NULL",
                (rebuild_id, name, digest),
            )

    def digest_history(self, name: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT digest, repository, published_at, superseded_at, rebuild_id FROM digests"
            " WHERE image = ? ORDER BY published_at, rowid",
            (name,),
        ).fetchall()
        keys = ("digest", "repository", "published_at", "superseded_at", "rebuild_id")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- runs and rebuilds ----------------------------------------------------------------

    def start_run(self, dry_run: bool) -> int:
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO runs (started_at, dry_run) VALUES (?, ?)", (self.now(), int(dry_run))
            )
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict[str, Any]) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                (self.now(), json.dumps(summary, sort_keys=True), run_id),
            )

    def record_rebuild(
        self,
        *,
        run_id: int,
        image: str,
        started_at: datetime,
        outcome: str,
        reasons: Sequence[str],
        changes: Sequence[dict[str, Any]],
        old_digest: str | None,
        new_digest: str | None,
        tests: Sequence[dict[str, Any]],
        vulns_fixed: Sequence[str],
        verified: bool | None,
        error: str | None,
        lock_sha256: str | None = None,
    ) -> int:
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO rebuilds (run_id, image, started_at, finished_at, outcome, reasons, changes,"
                " old_digest, new_digest, tests, vulns_fixed, verified, error, lock_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    image,
                    iso(started_at),
                    self.now(),
                    outcome,
                    json.dumps(list(reasons)),
                    json.dumps(list(changes), sort_keys=True),
                    old_digest,
                    new_digest,
                    json.dumps(list(tests), sort_keys=True),
                    json.dumps(sorted(vulns_fixed)),
                    None if verified is None else int(verified),
                    error,
                    lock_sha256,
                ),
            )
            return int(cur.lastrowid or 0)

    def rebuilds(self, image: str | None = None) -> list[RebuildRecord]:
        q = (
            "SELECT id, run_id, image, started_at, finished_at, outcome, reasons, changes, old_digest,"
            " new_digest, tests, vulns_fixed, verified, error, lock_sha256 FROM rebuilds"
        )
        args: tuple[Any, ...] = ()
        if image is not None:
            q += " WHERE image = ?"
            args = (image,)
        out = []
        for r in self.conn.execute(q + " ORDER BY id", args).fetchall():
            out.append(
                RebuildRecord(
                    r[0], r[1], r[2], datetime.fromisoformat(r[3]), datetime.fromisoformat(r[4]), r[5],
                    json.loads(r[6]), json.loads(r[7]), r[8], r[9], json.loads(r[10]), json.loads(r[11]),
                    None if r[12] is None else bool(r[12]), r[13], r[14],
                )
            )  # fmt: skip
        return out

    # -- vulnerabilities (the SLA clock) --------------------------------------------------

    def observe(self, image: str, observations: Sequence[Observation]) -> None:
        """Record what a scan of the *published* image shows: first seen, fix availability.

        The observations are the whole picture: an open row a scan no longer reports (the
        data was re-triaged, a VEX statement) becomes `withdrawn`, out of the SLA, until a
        scan shows it again."""
        now = self.now()
        seen = {(o.vuln, o.package) for o in observations}
        with self._tx() as c:
            for vuln, package in c.execute(
                "SELECT vuln, package FROM vulns WHERE image = ? AND via = 'scan'"
                " AND fixed_published_at IS NULL AND state != 'withdrawn'",
                (image,),
            ).fetchall():
                if (vuln, package) not in seen:
                    c.execute(
                        "UPDATE vulns SET state = 'withdrawn' WHERE image = ? AND vuln = ? AND package = ?",
                        (image, vuln, package),
                    )
            for o in observations:
                row = c.execute(
                    "SELECT fix_available_at, fixed_published_at FROM vulns"
                    " WHERE image = ? AND vuln = ? AND package = ?",
                    (image, o.vuln, o.package),
                ).fetchone()
                fix_at = now if o.fix_in_archive else None
                if row is None:
                    c.execute(
                        "INSERT INTO vulns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                        (image, o.vuln, o.package, o.severity, int(o.kev), o.state, o.fixed_version,
                         now, fix_at, now, o.via),
                    )  # fmt: skip
                    continue
                # still open in the published image: a regression reopens a fixed row
                c.execute(
                    "UPDATE vulns SET severity = ?, kev = ?, state = ?, fixed_version = ?, last_seen = ?,"
                    " fix_available_at = COALESCE(fix_available_at, ?), fixed_published_at = NULL,"
                    " fixed_digest = NULL, via = ? WHERE image = ? AND vuln = ? AND package = ?",
                    (
                        o.severity,
                        int(o.kev),
                        o.state,
                        o.fixed_version,
                        now,
                        fix_at,
                        o.via,
                        image,
                        o.vuln,
                        o.package,
                    ),
                )

    def resolve(self, image: str, keys: Sequence[tuple[str, str]], digest: str) -> None:
        """A published image no longer has these (vuln, package): the fix is out."""
        now = self.now()
        with self._tx() as c:
            for vuln, package in keys:
                c.execute(
                    "UPDATE vulns SET fixed_published_at = ?, fixed_digest = ?,"
                    " fix_available_at = COALESCE(fix_available_at, ?)"
                    " WHERE image = ? AND vuln = ? AND package = ? AND fixed_published_at IS NULL",
                    (now, digest, now, image, vuln, package),
                )

    def vulns(self, image: str | None = None, *, open_only: bool = False) -> list[VulnRow]:
        q = (
            "SELECT image, vuln, package, severity, kev, state, fixed_version, first_seen, fix_available_at,"
            " fixed_published_at, fixed_digest, last_seen, via FROM vulns WHERE 1 = 1"
        )
        args: list[Any] = []
        if image is not None:
            q += " AND image = ?"
            args.append(image)
        if open_only:
            q += " AND fixed_published_at IS NULL"
        rows = self.conn.execute(q + " ORDER BY image, vuln, package", args).fetchall()
        return [
            VulnRow(
                r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], datetime.fromisoformat(r[7]),
                parse_time(r[8]), parse_time(r[9]), r[10], datetime.fromisoformat(r[11]), r[12],
            )
            for r in rows
        ]  # fmt: skip

    # -- alerts ---------------------------------------------------------------------------

    def alerted(self, image: str, vuln: str, package: str, level: str, sink: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM alerts WHERE image = ? AND vuln = ? AND package = ? AND level = ? AND sink = ?",
                (image, vuln, package, level, sink),
            ).fetchone()
            is not None
        )

    def record_alert(self, image: str, vuln: str, package: str, level: str, sink: str) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?)",
                (image, vuln, package, level, sink, self.now()),
            )


__all__ = ["Observation", "PublishedImage", "RebuildRecord", "StateDB", "VulnRow"]
