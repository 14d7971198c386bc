"""`hardbake compare IMAGE_A IMAGE_B`: what hardening changed, side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format

if TYPE_CHECKING:
    from hardbake.oci import Platform
    from hardbake.vuln.report.compare import Comparison


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def compare_cmd(
    image_a: str = typer.Argument(..., help="The first image (e.g. the standard one): any image reference."),
    image_b: str = typer.Argument(..., help="The second image (e.g. the hardened one)."),
    platform: str | None = typer.Option(
        None, "--platform", help="Platform of multi-arch images (default: host)."
    ),
    fmt: str = typer.Option("table", "--format", help="table, json or markdown."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE."),
    scan: bool = typer.Option(
        True, "--scan/--no-scan", help="Also compare CVEs (needs a vulnerability DB: `hardbake db update`)."
    ),
) -> None:
    """Compare two images: compressed (docker save | gzip -6) and uncompressed size, packages,
    programs on PATH, setuid/setgid files, shells, package managers and the default user."""
    from hardbake.compare.facts import facts
    from hardbake.oci import Platform, open_image
    from hardbake.oci.reference import parse_image_ref

    chosen = pick_format(fmt, json_, ("table", "json", "markdown"))
    plat = Platform.parse(platform) if platform else None
    results = []
    for ref in (image_a, image_b):
        img = open_image(parse_image_ref(ref), plat)
        try:
            with err.status(f"reading {ref}"):
                results.append(facts(img, ref))
        finally:
            img.close()
    a, b = results
    cves = _compare_cves(image_a, image_b, plat) if scan else None
    if chosen == "json":
        doc: dict[str, object] = {"a": a.to_json(), "b": b.to_json()}
        if cves is not None:
            doc["vulnerabilities"] = cves.to_json()
        emit(dumps_json(doc), output)
        return
    rows = [
        ("compressed (gzip -6)", _mb(a.compressed), _mb(b.compressed)),
        ("uncompressed", _mb(a.uncompressed), _mb(b.uncompressed)),
        ("packages", str(len(a.packages)), str(len(b.packages))),
        ("programs on PATH", str(len(a.programs)), str(len(b.programs))),
        ("setuid/setgid files", str(len(a.setuid)), str(len(b.setuid))),
        ("shells", ", ".join(a.shells) or "none", ", ".join(b.shells) or "none"),
        (
            "package managers",
            ", ".join(a.package_managers) or "none",
            ", ".join(b.package_managers) or "none",
        ),
        ("default user", a.user, b.user),
    ]
    if cves is not None:
        rows += [(f"CVEs {sev}", str(x), str(y)) for sev, (x, y) in cves.by_severity.items() if x or y]
        rows += [(f"CVEs {state}", str(x), str(y)) for state, (x, y) in cves.by_state.items() if x or y]
        rows.append(("CVEs in A, not in B", str(len(cves.only_in_a)), ""))
    if chosen == "markdown":
        text = f"| | {a.ref} | {b.ref} |\n|---|---|---|\n" + "".join(
            f"| {r} | {x} | {y} |\n" for r, x, y in rows
        )
        emit(text, output)
        return
    if cves is not None and cves.only_in_a:
        listing = ", ".join(v.id for v in cves.only_in_a[:40]) + (" ..." if len(cves.only_in_a) > 40 else "")
        err.print(f"present in {a.ref}, absent in {b.ref}: {listing}")
    elif cves is None and scan:
        err.print("[dim]no vulnerability database: CVEs not compared (`hardbake db update`)[/]")
    t = Table(title="compare")
    t.add_column("")
    t.add_column(a.ref)
    t.add_column(b.ref)
    for r in rows:
        t.add_row(*r)
    out.print(t)


def _compare_cves(image_a: str, image_b: str, platform: Platform | None) -> Comparison | None:
    """Scan both images against the local DB and compare; None when there is no DB."""
    from hardbake.sbom import inventories
    from hardbake.vuln import VulnDB, scan
    from hardbake.vuln.db import default_path
    from hardbake.vuln.report.compare import compare
    from hardbake.vuln.target import scan_target

    if not default_path().exists():
        return None
    reports = []
    with VulnDB.open(default_path()) as db:
        for ref in (image_a, image_b):
            inv = inventories(ref, (platform,) if platform is not None else None)[0]
            reports.append(scan(scan_target(inv.inventory, ref=ref), db))
    return compare(reports[0], reports[1])
