"""One image's rebuild: build exactly the new lock, run its tests in the engine, scan, publish.

Each step's failure is a value, not an exception: the outcome says what happened
(`published`, `test-failed`, `failed`, `verify-failed`) and why, so one broken image never
stops the loop from patching the others. A failed test leaves the previous digest current and
keeps each step's output in the report.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hardbake.attest.keys import SigningKey
from hardbake.build.pipeline import BuildOptions, BuildResult, build
from hardbake.build.plan import ImageLock
from hardbake.debian.client import DebianClient
from hardbake.errors import EnvError, Error, VerificationError
from hardbake.imagetest.runner import run_all
from hardbake.oci import Platform
from hardbake.oci.image import ImageIndex
from hardbake.oci.reference import DaemonRef, LayoutRef, RegistryRef
from hardbake.oci.remote import RegistryAccess
from hardbake.oci.transport import write_image
from hardbake.spec import extend
from hardbake.spec.load import load
from hardbake.vuln import ScanReport, VulnDB
from hardbake.watch import publish as publishing
from hardbake.watch import vulns
from hardbake.watch.changes import Decision, collapse
from hardbake.watch.targets import Target

Progress = Callable[[str], None]


@dataclass
class Outcome:
    image: str
    outcome: str  # published | unchanged | would-rebuild | test-failed | still-failing | blocked | failed | verify-failed
    reasons: tuple[str, ...] = ()
    changes: list[dict[str, Any]] = field(default_factory=list)
    old_digest: str | None = None
    new_digest: str | None = None
    tests: list[dict[str, Any]] = field(default_factory=list)
    vulns_fixed: list[str] = field(default_factory=list)
    published: publishing.Published | None = None
    error: str | None = None
    seconds: float = 0.0
    lock_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("published", "unchanged", "would-rebuild")

    def to_json(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "changes": self.changes,
            "oldDigest": self.old_digest,
            "newDigest": self.new_digest,
            "tests": self.tests,
            "vulnsFixed": self.vulns_fixed,
            "published": self.published.to_json() if self.published else None,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Context:
    """What every rebuild of one run shares."""

    db: VulnDB
    destination: publishing.Destination
    access: RegistryAccess
    key: SigningKey | None
    engine: Callable[[], Any]  # the Docker engine, connected on first use
    workdir: Path
    clock: Callable[[], datetime]
    progress: Progress = lambda s: None


def _safe(name: str) -> str:
    return name.replace(":", "_").replace("/", "_")


def _test(result: BuildResult, target: Target, ctx: Context) -> tuple[bool, list[dict[str, Any]]]:
    """Run the spec's tests in the engine against the host's platform image."""
    loaded, _ = extend.resolve(load(target.spec_path))
    spec = loaded.spec
    if not spec.tests:
        return True, [{"name": "(none)", "passed": True, "detail": "the spec has no tests"}]
    host = Platform.host()
    image = result.image
    assert image is not None
    platforms = image.platforms() if isinstance(image, ImageIndex) else [image.platform()]
    if not any(p.matches(host) for p in platforms):
        detail = f"not run: the image has no {host} variant to run on this machine"
        return True, [{"name": "(skipped)", "passed": True, "detail": detail}]
    engine = ctx.engine()
    name = f"hardbake-watch/{_safe(target.family)}:{_safe(target.tags[0])}-{uuid.uuid4().hex[:10]}"
    write_image(image, DaemonRef(RegistryRef.parse(name)), engine=engine)
    try:
        steps = run_all(engine, name, spec, loaded.path.parent)
    finally:
        with contextlib.suppress(Exception):  # the engine may already have dropped it
            engine.images.remove(name, force=True)
    return all(s.passed for s in steps), [s.to_json() for s in steps]


def rebuild(
    target: Target,
    decision: Decision,
    client: DebianClient,
    ctx: Context,
    *,
    previous_digest: str | None,
    published_scan: ScanReport | None,
    fixes: dict[vulns.Key, vulns.ChangelogFix],
) -> tuple[Outcome, BuildResult | None, ScanReport | None]:
    """Build, test, scan, sign, push, verify; (outcome, build result, scan of the new image)."""
    t0 = time.monotonic()
    started = ctx.clock()
    lock = decision.lock
    assert lock is not None
    out = Outcome(
        target.name,
        "failed",
        decision.reasons,
        [c.to_json() for c in collapse(list(decision.changes))],
        previous_digest,
        lock_sha256=lock_digest(lock),
    )
    work = ctx.workdir / _safe(target.name)
    stage = LayoutRef(work / "stage", target.tags[0])
    try:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        lock_file = work / "lock.json"
        lock_file.write_text(lock.dumps())
        ctx.progress(f"{target.name}: building")
        result = build(
            str(target.spec_path),
            client,
            BuildOptions(outputs=[stage], lock=lock_file, archs=sorted(lock.arches)),
            progress=lambda s: ctx.progress(f"{target.name}: {s}"),
        )
        out.new_digest = result.digest
        ctx.progress(f"{target.name}: testing {result.digest[:19]}…")
        passed, out.tests = _test(result, target, ctx)
        if not passed:
            out.outcome = "test-failed"
            failed = [t["name"] for t in out.tests if not t["passed"]]
            out.error = (
                f"test step(s) failed: {', '.join(failed)}; {previous_digest or 'nothing'} stays current"
            )
            return _done(out, t0), result, None
        kept = {a.arch: a.packages for a in result.arches}
        packages = vulns.packages_in_image(lock, kept)
        new_scan = vulns.scan_packages(f"{target.name}@{result.digest}", lock.distro, packages, ctx.db)
        before = set(vulns.open_findings(published_scan)) if published_scan else set()
        out.vulns_fixed = sorted({v for v, _ in (before | set(fixes)) - set(vulns.open_findings(new_scan))})
        prov = publishing.provenance(target, lock.spec_digest, lock, client, started, ctx.clock())
        ctx.progress(f"{target.name}: publishing")
        out.published = publishing.publish(
            stage,
            target,
            result.digest,
            ctx.destination,
            ctx.access,
            key=ctx.key,
            attestations=publishing.attestations(prov, new_scan.to_json()),
        )
        out.outcome = "published"
        shutil.rmtree(
            work, ignore_errors=True
        )  # published: the staging copy is not needed (a failure keeps it)
        return _done(out, t0), result, new_scan
    except VerificationError as e:
        out.outcome, out.error = "verify-failed", e.diagnostics()
    except Error as e:
        out.outcome, out.error = "failed", e.diagnostics()
        if isinstance(e, EnvError):
            out.error = f"{type(e).__name__}: {out.error}"
    return _done(out, t0), None, None


def _done(out: Outcome, t0: float) -> Outcome:
    out.seconds = time.monotonic() - t0
    return out


def lock_digest(lock: ImageLock) -> str:
    import hashlib

    return hashlib.sha256(lock.dumps().encode()).hexdigest()
