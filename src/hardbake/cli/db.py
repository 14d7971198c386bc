"""`hardbake db update|status`: fill and inspect the vulnerability database."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.vuln.db import VulnDB
from hardbake.vuln.provenance import SourceInfo
from hardbake.vuln.scan import DEFAULT_MAX_AGE, parse_age

#: What `hardbake db update` reads when no --from is given: the upstream feeds as published.
#: Override with HARDBAKE_VULN_FEEDS (whitespace-separated locations).
DEFAULT_FEEDS: tuple[str, ...] = (
    "https://security-tracker.debian.org/tracker/data/json",
    "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip",
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file (default $HARDBAKE_CACHE/vuln/vuln.sqlite).")
]


def _sources_table(sources: list[SourceInfo], now: datetime, title: str) -> Table:
    t = Table(title=title)
    for col in ("feed", "location", "data date", "imported", "age", "covers", "records"):
        t.add_column(col)
    for s in sources:
        age = s.age(now)
        t.add_row(
            s.feed,
            escape(s.location),
            s.data_date or "-",
            s.imported_at.isoformat(timespec="minutes"),
            f"{age.days}d {age.seconds // 3600}h",
            ", ".join(s.covers) or "-",
            ", ".join(f"{k} {v}" for k, v in s.counts.items()),
        )
    return t


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(
        help="The vulnerability database (SQLite in $HARDBAKE_CACHE/vuln): import feeds, show its sources.",
        no_args_is_help=True,
    )

    @db_app.command("update")
    def update(
        sources: Annotated[
            list[str] | None,
            typer.Option(
                "--from",
                help="A feed to import: FILE, DIR (walked) or http(s) URL; plain, gzip or zip. The format is "
                "recognised by content: Debian tracker JSON export or text lists (data/CVE/list, DSA, DLA), "
                "vuln-list-debian JSON, OSV, Node.js security-wg, CISA KEV, Debian changelogs. Repeatable. "
                "Default: the upstream feeds (or $HARDBAKE_VULN_FEEDS).",
            ),
        ] = None,
        db_path: DbOption = None,
    ) -> None:
        """Import feeds in one transaction: all of them, or (on any error) none — the DB stays as it was."""
        locations = (
            list(sources or ()) or os.environ.get("HARDBAKE_VULN_FEEDS", "").split() or list(DEFAULT_FEEDS)
        )
        with (
            VulnDB.open(db_path) as db,
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("starting", total=None)
            imported = db.update(
                locations, progress=lambda msg: progress.update(task, description=escape(msg))
            )
            now = db.clock()
        for s in imported:
            for skip in s.skipped[:5]:
                err.print(f"note: {escape(s.feed)}: {escape(skip)}")
            if len(s.skipped) > 5:
                err.print(
                    f"note: {escape(s.feed)}: {len(s.skipped) - 5} more (see `hardbake db status --json`)"
                )
        out.print(_sources_table(imported, now, "Imported"))

    @db_app.command("status")
    def status(
        fmt: Annotated[str, typer.Option("--format", help="Output format: table or json.")] = "table",
        json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="Write the result to FILE (atomically).")
        ] = None,
        max_age: Annotated[
            str,
            typer.Option(
                "--max-age", help="Report sources imported longer ago than this (7d, 48h, 2w) as stale."
            ),
        ] = "7d",
        db_path: DbOption = None,
    ) -> None:
        """Show each imported source: feed, location, dates, age, coverage, record counts."""
        chosen = pick_format(fmt, json_flag)
        age = parse_age(max_age) if max_age else DEFAULT_MAX_AGE
        with VulnDB.open(db_path) as db:
            now = datetime.now(UTC)
            sources = db.sources()
            stale = db.stale(age, now)
            size = db.size_bytes()
            doc = {
                "path": str(db.path),
                "size_bytes": size,
                "max_age_hours": age.total_seconds() / 3600,
                "stale": stale,
                "sources": [s.to_json(now) for s in sources],
            }
        if chosen == "json":
            emit(dumps_json(doc), output)
            return
        for w in stale:
            err.print(f"warning: {escape(w)}")
        table = _sources_table(sources, now, f"{db.path} ({size // 1024} KiB)")
        if output is None:
            out.print(table)
        else:
            buf = io.StringIO()
            Console(file=buf, width=160, color_system=None).print(table)
            emit(buf.getvalue(), output)

    app.add_typer(db_app, name="db")
