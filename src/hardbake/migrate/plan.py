"""The migration plan: the four phases of the DHI article's template (assessment, pilot,
rollout, production) filled with this repository's inventory.

Files are ranked by how easy they are to convert (fewest blockers, then fewest warnings), the
pilot takes the first Dockerfiles that convert cleanly, and the baseline table shows the
before/after figures of every image pair the local engine holds (the `Comparer` seam). The
output is deterministic: the same inventory and figures give the same Markdown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hardbake.migrate.compare import Comparer, Comparison, ImageFigures
from hardbake.migrate.model import REWRITABLE, Confidence, FileKind, FileReport, Inventory, Severity

PILOT_SIZE = 3

#: what a team must know, by finding code, for the "train development teams" step
LESSONS: dict[str, str] = {
    "two-stage": "Runtime images have no shell and no package manager: build in a `-dev` stage, copy the results into the runtime stage.",
    "exec-form": 'CMD and ENTRYPOINT must be exec form (`["node", "server.js"]`): there is no /bin/sh to run a shell form.',
    "pep668-venv": "Debian's Python refuses `pip install` into the system (PEP 668): dependencies go into a venv (/opt/venv) copied whole into the runtime stage.",
    "port": "nginx and httpd listen on 8080 (they run as non-root): container ports, Service targetPorts and `listen` lines change.",
    "user": "Images run as the numeric non-root user 65532: no `useradd`, and USER/--chown name 65532.",
    "user-creation": "User creation (`adduser`, `useradd`) is not needed: the non-root user 65532 exists in every image.",
    "apk-apt": "Alpine's `apk add` becomes Debian's `apt-get install` in the -dev stage, with Debian package names.",
    "runtime-package": "Packages installed in a -dev stage do not reach the runtime image: runtime libraries need a hardbake image spec that adds them.",
    "data-owner": "Data volumes created by the official database images are owned by uid 999: chown them to 65532 before switching.",
    "npm-start": "`npm start` needs npm and sh: run node directly.",
}


@dataclass(frozen=True)
class Rank:
    report: FileReport
    blockers: int
    warnings: int
    changes: int
    rewritable: int

    @property
    def key(self) -> tuple[int, int, int, str]:
        return (
            self.blockers,
            self.warnings,
            0 if self.report.kind is FileKind.dockerfile else 1,
            self.report.path,
        )


def rank(inv: Inventory) -> list[Rank]:
    out = []
    for f in inv.files:
        rewritable = sum(1 for u in f.uses if u.match.confidence in REWRITABLE)
        if not f.uses:
            continue
        out.append(
            Rank(
                f,
                len(f.blockers),
                len(f.warnings),
                sum(1 for x in f.findings if x.severity is Severity.change),
                rewritable,
            )
        )
    return sorted(out, key=lambda r: r.key)


def pairs(inv: Inventory) -> list[tuple[str, str]]:
    """Distinct (original, hardened runtime) pairs to compare, in inventory order."""
    seen: dict[tuple[str, str], None] = {}
    for u in inv.uses:
        if u.hardened and u.match.confidence in (*REWRITABLE, Confidence.suggestion) and u.resolved:
            seen.setdefault((u.resolved, u.hardened), None)
    return list(seen)


def render(inv: Inventory, compare: Comparer | None) -> str:
    ranks = rank(inv)
    uses = inv.uses
    conf = Counter(u.match.confidence for u in uses)
    kinds = Counter(f.kind for f in inv.files if f.uses)
    comparisons: list[tuple[str, str, Comparison | None]] = [
        (a, b, compare(a, b) if compare else None) for a, b in pairs(inv)
    ]
    out: list[str] = ["# Migration plan: hardened images", ""]
    out.append(
        f"Inventory of `{inv.root}`: {len(uses)} image references in {sum(kinds.values())} files "
        f"({kinds[FileKind.dockerfile]} Dockerfiles, {kinds[FileKind.compose]} Compose files, "
        f"{kinds[FileKind.kubernetes]} Kubernetes manifests)."
    )
    if inv.problems:
        out.append("")
        out.append(f"**{len(inv.problems)} files could not be read** and are not part of this plan:")
        out += [f"- `{p.file}`{f':{p.line}' if p.line else ''}: {p.message}" for p in inv.problems]
    out += ["", "## Phase 1: Assessment (week 1-2)", ""]
    out.append(
        f"- [x] Inventory current base images: {len(uses)} references, {len({u.reference for u in uses})} distinct images"
    )
    out += ["", *_image_table(inv), ""]
    out.append(
        f"- [x] Identify hardened equivalents: {conf[Confidence.exact]} exact, {conf[Confidence.family]} family only, "
        f"{conf[Confidence.suggestion]} suggestions (never rewritten automatically), {conf[Confidence.none]} without an "
        f"equivalent, {conf[Confidence.hardened]} already hardened"
    )
    out.append("- [ ] Set up security scanning baseline: before/after figures of each image pair")
    out += ["", *_baseline(comparisons), ""]
    out += ["## Phase 2: Pilot (week 3-4)", ""]
    pilot = [r for r in ranks if r.blockers == 0 and r.rewritable and r.report.kind is FileKind.dockerfile][
        :PILOT_SIZE
    ]
    out.append(f"- [ ] Convert {len(pilot)} non-critical applications first (they convert without blockers):")
    for i, r in enumerate(pilot, 1):
        out.append(
            f"  {i}. `{r.report.path}`: {_n(r.rewritable, 'reference')} to rewrite, "
            f"{_n(r.changes, 'further change')}, {_n(r.warnings, 'warning')} - "
            f"`hardbake migrate apply {_where(inv, r.report.path)} --dry-run`"
        )
    if not pilot:
        out.append("  (no Dockerfile converts without a blocker yet: clear the blockers below first)")
    out.append(
        "- [ ] Run parallel security scans of the original and the hardened images (the baseline table above)"
    )
    out.append("- [ ] Validate functionality and performance: build, run, and check what the warnings name:")
    pilot_warnings = [w for r in pilot for w in r.report.warnings]
    out += [f"  - `{w.file}:{w.line}` {w.message}" for w in pilot_warnings] or ["  - (no warnings)"]
    out += ["", "## Phase 3: Rollout (week 5-8)", ""]
    rest = [r for r in ranks if r not in pilot]
    out.append("- [ ] Convert staging environments, in this order (fewest blockers first):")
    out += ["", "| File | Kind | References | Blockers | Warnings | Changes |", "|---|---|---|---|---|---|"]
    out += [
        f"| `{r.report.path}` | {r.report.kind.value} | {len(r.report.uses)} | {r.blockers} | {r.warnings} | {r.changes} |"
        for r in rest
    ]
    deploy = [r for r in ranks if r.report.kind is not FileKind.dockerfile]
    out += ["", "- [ ] Update CI/CD pipelines: the image references they deploy and build"]
    out += [
        f"  - `{r.report.path}` ({r.report.kind.value}, {len(r.report.uses)} references)" for r in deploy
    ] or ["  - (no Compose file or Kubernetes manifest found)"]
    codes = {f.code for f in inv.findings}
    lessons = [text for code, text in LESSONS.items() if code in codes]
    out.append("- [ ] Train development teams on the differences this repository meets:")
    out += [f"  - {t}" for t in lessons] or ["  - (none found)"]
    out += ["", "## Phase 4: Production (week 9-12)", ""]
    out.append("- [ ] Convert production workloads: apply the rewrites of the deployment files")
    for r in deploy:
        ports = [f for f in r.report.findings if f.code == "port"]
        out.append(f"  - `{r.report.path}`" + (f": {_n(len(ports), 'port change')}" if ports else ""))
    if not deploy:
        out.append("  - (no Compose file or Kubernetes manifest found)")
    out.append("- [ ] Implement monitoring (`hardbake monitor`, resource limits)")
    out.append("- [ ] Document lessons learned")
    out += ["", "## Blockers, file by file", ""]
    blocked = [r for r in ranks if r.blockers]
    if not blocked:
        out.append("None: every file converts.")
    for r in blocked:
        out.append(f"### `{r.report.path}`")
        out += [f"- line {b.line}: {b.message}" for b in r.report.blockers]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _where(inv: Inventory, path: str) -> str:
    root = Path(inv.root)
    return root.as_posix() if root.is_file() else (root / path).as_posix()


def _n(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _image_table(inv: Inventory) -> list[str]:
    rows: dict[tuple[str, str, str], list[str]] = {}
    for u in inv.uses:
        key = (u.reference or u.text, u.hardened or "-", u.match.confidence.value)
        rows.setdefault(key, []).append(u.match.note)
    lines = ["| Image | References | Hardened equivalent | Confidence | Note |", "|---|---|---|---|---|"]
    for (ref, hard, c), notes in sorted(rows.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(
            f"| `{ref}` | {len(notes)} | {f'`{hard}`' if hard != '-' else '-'} | {c} | {notes[0] or ''} |"
        )
    return lines


def _fmt_size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _fig(f: ImageFigures) -> tuple[str, str, str, str, str, str]:
    return (
        _fmt_size(f.size),
        "-" if f.packages is None else str(f.packages),
        str(f.executables),
        str(f.setuid),
        "yes" if f.shell else "no",
        "not measured" if f.cves is None else str(f.cves),
    )


def _baseline(comparisons: list[tuple[str, str, Comparison | None]]) -> list[str]:
    have = [(a, b, c) for a, b, c in comparisons if c is not None]
    lines = []
    if have:
        lines += [
            "| Original -> hardened | Size | Packages | Executables | Setuid/setgid | Shell | CVEs |",
            "|---|---|---|---|---|---|---|",
        ]
        for a, b, c in have:
            assert c is not None
            fa, fb = _fig(c.before), _fig(c.after)
            cells = " | ".join(f"{x} -> {y}" for x, y in zip(fa, fb, strict=True))
            lines.append(f"| `{a}` -> `{b}` | {cells} |")
    missing = [(a, b) for a, b, c in comparisons if c is None]
    if missing:
        lines.append("" if lines else "No image pair is available in the local engine yet.")
        lines.append("Not available locally (pull the original, build the hardened image, then plan again):")
        lines += [f"- `{a}` -> `{b}`" for a, b in missing]
    return lines or ["No image pair to compare."]
