"""The patch loop: refresh the archive, re-lock every image, rebuild what changed, record it all.

One iteration (`run_once`):

1. refresh the signed indices of every suite the images use, security suites first, asking
   the mirror again whatever the cache holds (`max_age=0`);
2. re-lock each image (parents first) and compare with its published lock
   (`changes.decide`); a child of an image being rebuilt rebuilds too (the cascade);
3. for each published image, scan what it holds and what the archive now offers, and record
   first-seen and fix-available times (`StateDB.observe`) — also when the rebuild later fails;
4. rebuild, test, scan, sign, push and verify each image that changed (`rebuild.rebuild`);
   a child whose parent failed is `blocked`; a lock whose tests already failed is not
   retried (`still-failing`) unless asked;
5. record outcomes, new digests and the vulnerabilities each rebuild fixed.

`--dry-run` stops after step 2 and writes nothing. `run_forever` repeats at an interval
until its stop event is set (a signal handler or a test sets it); each wait is interruptible.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from hardbake import distro as distros
from hardbake.attest.keys import SigningKey
from hardbake.build.plan import ImageLock, extra_repositories, lock_spec
from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.sources import Mirrors, Repository
from hardbake.errors import Error
from hardbake.oci import daemon
from hardbake.oci.remote import RegistryAccess
from hardbake.spec import extend
from hardbake.spec.load import load
from hardbake.vuln import VulnDB
from hardbake.watch import rebuild as rebuilding
from hardbake.watch import vulns
from hardbake.watch.changes import Decision, collapse, decide
from hardbake.watch.publish import Destination
from hardbake.watch.state import StateDB
from hardbake.watch.targets import Target

Progress = Callable[[str], None]
_BAD = ("test-failed", "still-failing", "blocked", "failed", "verify-failed")


@dataclass
class WatchConfig:
    targets: list[Target]
    mirrors: Mirrors
    cache_root: Path
    state: StateDB
    db: VulnDB
    destination: Destination
    access: RegistryAccess
    workdir: Path
    key: SigningKey | None = None
    engine: Callable[[], Any] = field(default=daemon.connect)
    dry_run: bool = False
    retry_failed: bool = False
    http: httpx.Client | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    progress: Progress = field(default=lambda s: None)


@dataclass
class WatchReport:
    run_id: int | None
    started_at: datetime
    finished_at: datetime
    dry_run: bool
    refreshed: list[dict[str, Any]]
    decisions: list[Decision]
    outcomes: list[rebuilding.Outcome]

    @property
    def exit_code(self) -> int:
        """0 all good; 1 a test, verification or cascade blocked a publication; else the
        failed step's own code (2 input, 3 environment)."""
        codes = [1 if o.outcome in _BAD[:3] or o.outcome == "verify-failed" else 0 for o in self.outcomes]
        failed = [o for o in self.outcomes if o.outcome == "failed"]
        if failed:
            return 3 if any((o.error or "").startswith(("EnvError", "NetworkError", "IntegrityError",
                                                        "ToolMissing")) for o in failed) else 2  # fmt: skip
        return max(codes, default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "startedAt": self.started_at.isoformat(timespec="seconds"),
            "finishedAt": self.finished_at.isoformat(timespec="seconds"),
            "dryRun": self.dry_run,
            "refreshed": self.refreshed,
            "decisions": [d.to_json() for d in self.decisions],
            "outcomes": [o.to_json() for o in self.outcomes],
        }


class _Clients:
    """One fresh client per set of extra repositories (a universe depends on them)."""

    def __init__(self, config: WatchConfig, http: httpx.Client) -> None:
        self.config = config
        self.http = http
        self._by_extra: dict[tuple[Repository, ...], DebianClient] = {}

    def get(self, extra: tuple[Repository, ...] = ()) -> DebianClient:
        if extra not in self._by_extra:
            self._by_extra[extra] = DebianClient(
                mirrors=self.config.mirrors,
                cache_root=self.config.cache_root,
                http=self.http,
                extra=extra,
                max_age=0.0,  # ask the mirror again: this is the point of watching
            )
        return self._by_extra[extra]


def refresh(client: DebianClient, targets: list[Target]) -> list[dict[str, Any]]:
    """Fetch and verify every suite's InRelease and indices, security suites first."""
    out = []
    for name in sorted({t.distro for t in targets}):
        archs = sorted({a for t in targets if t.distro == name for a in t.archs})
        for repo in client.repositories(distros.get(name).suites):
            rel = client.archive.release(repo)
            for comp in repo.components:
                for arch in archs:
                    client.archive.index(repo, comp, arch)
            out.append(
                {
                    "repository": repo.name,
                    "suite": repo.suite,
                    "date": rel.date.isoformat() if rel.date else None,
                    "sha256": rel.sha256,
                }
            )
    return out


def lock_target(target: Target, clients: _Clients) -> tuple[ImageLock, DebianClient]:
    """The image's lock as the archive stands now (the same resolution `hardbake build` does)."""
    loaded, parent = extend.resolve(load(target.spec_path))
    client = clients.get(extra_repositories(loaded))
    archs = list(loaded.spec.archs)
    parent_lock = lock_spec(parent, client, archs) if parent is not None else None
    return lock_spec(loaded, client, archs, parent=parent_lock), client


@dataclass(frozen=True)
class Planned:
    target: Target
    decision: Decision | None  # None: the image could not be locked
    client: DebianClient | None
    error: Error | None = None


def plan(config: WatchConfig, clients: _Clients) -> list[Planned]:
    """Re-lock every target (parents first) and decide; one image that cannot be locked (a
    package gone from the archive, a broken spec) does not stop the others."""
    rebuilding_now: set[str] = set()
    out = []
    for t in config.targets:
        config.progress(f"{t.name}: locking against the archive")
        try:
            lock, client = lock_target(t, clients)
        except Error as e:
            out.append(Planned(t, None, None, e))
            continue
        prev = config.state.image(t.name)
        parent = t.parent if t.parent in rebuilding_now else None
        d = decide(t.name, prev.lock if prev else None, lock, parent)
        if d.rebuild:
            rebuilding_now.add(t.name)
        out.append(Planned(t, d, client))
    return out


def _lock_failed(p: Planned, previous: str | None) -> rebuilding.Outcome:
    assert p.error is not None
    return rebuilding.Outcome(
        p.target.name, "failed", ("could not lock against the archive",), [], previous,
        error=f"{type(p.error).__name__}: {p.error.diagnostics()}",
    )  # fmt: skip


def run_once(config: WatchConfig) -> WatchReport:
    started = config.clock()
    own_http = config.http is None
    http = config.http or http_client()
    try:
        clients = _Clients(config, http)
        config.progress("refreshing the archive indices")
        refreshed = refresh(clients.get(), config.targets)
        planned = plan(config, clients)
        decisions = [p.decision for p in planned if p.decision is not None]
        if config.dry_run:
            outcomes = []
            for p in planned:
                prev = config.state.image(p.target.name)
                digest = prev.digest if prev else None
                if p.decision is None:
                    outcomes.append(_lock_failed(p, digest))
                    continue
                d = p.decision
                kind = "would-rebuild" if d.rebuild else "unchanged"
                changes = [c.to_json() for c in collapse(list(d.changes))]
                outcomes.append(rebuilding.Outcome(d.target, kind, d.reasons, changes, digest))
            return WatchReport(None, started, config.clock(), True, refreshed, decisions, outcomes)
        run_id = config.state.start_run(False)
        done: dict[str, rebuilding.Outcome] = {}
        for p in planned:
            if p.decision is None or p.client is None:
                prev = config.state.image(p.target.name)
                out = done[p.target.name] = _lock_failed(p, prev.digest if prev else None)
                config.state.record_rebuild(
                    run_id=run_id, image=out.image, started_at=config.clock(), outcome=out.outcome,
                    reasons=out.reasons, changes=[], old_digest=out.old_digest, new_digest=None, tests=[],
                    vulns_fixed=[], verified=None, error=out.error,
                )  # fmt: skip
                continue
            done[p.target.name] = _apply(config, p.target, p.decision, p.client, run_id, done)
        outcomes = list(done.values())
        summary: dict[str, int] = {}
        for o in outcomes:
            summary[o.outcome] = summary.get(o.outcome, 0) + 1
        config.state.finish_run(run_id, summary)
        return WatchReport(run_id, started, config.clock(), False, refreshed, decisions, outcomes)
    finally:
        if own_http:
            http.close()


def _apply(
    config: WatchConfig,
    t: Target,
    d: Decision,
    client: DebianClient,
    run_id: int,
    done: dict[str, rebuilding.Outcome],
) -> rebuilding.Outcome:
    """Observe the published image's vulnerabilities, then rebuild it if it changed."""
    state, db = config.state, config.db
    prev = state.image(t.name)
    assert d.lock is not None
    pub_scan = cand_scan = None
    fixes: dict[vulns.Key, vulns.ChangelogFix] = {}
    if prev is not None and prev.lock is not None:
        pub_scan = vulns.scan_packages(f"{t.name}@{prev.digest}", prev.lock.distro, prev.packages, db)
        if d.rebuild:
            try:
                fixes = vulns.changelog_fixes(d.changes, d.lock, prev.lock, client, db)
            except Error as e:  # the rebuild will meet the same problem and report it
                config.progress(f"{t.name}: could not read the new changelogs ({e.message})")
            names = {p["name"] for p in prev.packages}
            kept = {a: [p.name for p in al.packages if p.name in names] for a, al in d.lock.arches.items()}
            # a package new to the lock may well be in the image: count it in
            for a, al in d.lock.arches.items():
                kept[a] += [p.name for p in al.packages if p.name not in names]
            cand = vulns.packages_in_image(d.lock, kept)
            cand_scan = vulns.scan_packages(f"{t.name} (candidate)", d.lock.distro, cand, db)
        state.observe(t.name, vulns.observations(pub_scan, cand_scan, fixes, db))
    if not d.rebuild:
        return rebuilding.Outcome(t.name, "unchanged", d.reasons, [], prev.digest if prev else None)
    base = done.get(t.parent) if t.parent else None
    started = config.clock()
    lock_sha = rebuilding.lock_digest(d.lock)
    if base is not None and base.outcome in _BAD:
        out = rebuilding.Outcome(
            t.name,
            "blocked",
            d.reasons,
            [c.to_json() for c in collapse(list(d.changes))],
            prev.digest if prev else None,
            error=f"its base {t.parent} was not published ({base.outcome}); this image keeps its digest",
            lock_sha256=lock_sha,
        )
    elif not config.retry_failed and _failed_before(state, t.name, lock_sha):
        out = rebuilding.Outcome(
            t.name,
            "still-failing",
            d.reasons,
            [c.to_json() for c in collapse(list(d.changes))],
            prev.digest if prev else None,
            error="this exact lock already failed its tests; waiting for the archive or the spec to change "
            "(--retry-failed to try again)",
            lock_sha256=lock_sha,
        )
    else:
        ctx = rebuilding.Context(
            db, config.destination, config.access, config.key, config.engine,
            config.workdir, config.clock, config.progress,
        )  # fmt: skip
        out, result, new_scan = rebuilding.rebuild(
            t, d, client, ctx, previous_digest=prev.digest if prev else None,
            published_scan=pub_scan, fixes=fixes,
        )  # fmt: skip
        if out.outcome == "published" and result is not None and new_scan is not None:
            _record_publication(config, t, d, out, result, new_scan, pub_scan, fixes)
    rid = state.record_rebuild(
        run_id=run_id, image=t.name, started_at=started, outcome=out.outcome, reasons=out.reasons,
        changes=out.changes, old_digest=out.old_digest, new_digest=out.new_digest, tests=out.tests,
        vulns_fixed=out.vulns_fixed, verified=out.published.verified if out.published else None,
        error=out.error, lock_sha256=lock_sha,
    )  # fmt: skip
    if out.outcome == "published":
        state.link_rebuild(t.name, out.new_digest or "", rid)
    return out


def _failed_before(state: StateDB, image: str, lock_sha: str) -> bool:
    history = state.rebuilds(image)
    last = next((r for r in reversed(history) if r.outcome not in ("blocked",)), None)
    return (
        last is not None and last.outcome in ("test-failed", "still-failing") and last.lock_sha256 == lock_sha
    )


def _record_publication(
    config: WatchConfig,
    t: Target,
    d: Decision,
    out: rebuilding.Outcome,
    result: Any,
    new_scan: Any,
    pub_scan: Any,
    fixes: dict[vulns.Key, vulns.ChangelogFix],
) -> None:
    assert d.lock is not None and out.published is not None and out.new_digest is not None
    state = config.state
    kept = {a.arch: a.packages for a in result.arches}
    state.publish(
        name=t.name, family=t.family, tags=t.tags, spec=str(t.spec_path),
        repository=out.published.repository, digest=out.new_digest, lock=d.lock,
        packages=vulns.packages_in_image(d.lock, kept), rebuild_id=None,
    )  # fmt: skip
    before = set(vulns.open_findings(pub_scan)) if pub_scan is not None else set()
    gone = (before | set(fixes)) - set(vulns.open_findings(new_scan))
    state.resolve(t.name, sorted(gone), out.new_digest)
    state.observe(t.name, vulns.observations(new_scan, None, {}, config.db))


def run_forever(
    run: Callable[[], WatchReport],
    interval: timedelta,
    stop: threading.Event,
    *,
    on_report: Callable[[WatchReport], None] = lambda r: None,
    on_error: Callable[[Error], None] = lambda e: None,
    max_runs: int | None = None,
) -> int:
    """Run, wait `interval` (or until `stop`), repeat; returns the number of runs made.

    An iteration that fails (the mirror is down) is reported and the loop goes on: the next
    interval tries again. Waiting is on `stop`, so a signal ends the loop at once."""
    runs = 0
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            on_report(run())
        except Error as e:
            on_error(e)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(max(0.0, interval.total_seconds() - (time.monotonic() - t0)))
    return runs
