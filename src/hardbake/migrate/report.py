"""The inventory as rows and as Markdown (the CLI renders the rows as a rich table)."""

from __future__ import annotations

from hardbake.migrate.model import ImageUse, Inventory, Severity

COLUMNS = ("file:line", "image", "normalised", "hardened", "confidence", "note")


def use_row(u: ImageUse) -> tuple[str, str, str, str, str, str]:
    written = u.text if u.resolved in (None, u.text) else f"{u.text} ({u.resolved})"
    return (
        f"{u.file}:{u.line}",
        written,
        u.reference or "-",
        u.hardened or "-",
        u.match.confidence.value + (f" ({u.variant})" if u.hardened and u.variant == "dev" else ""),
        u.match.note,
    )


def finding_rows(inv: Inventory, severities: tuple[Severity, ...]) -> list[tuple[str, str, str, str]]:
    return [
        (f.severity.value, f"{f.file}:{f.line}", f.code, f.message)
        for f in inv.findings
        if f.severity in severities
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(inv: Inventory) -> str:
    out = [f"# Image inventory of `{inv.root}`", ""]
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for u in inv.uses:
        out.append("| " + " | ".join(_cell(c) for c in use_row(u)) + " |")
    rows = finding_rows(inv, (Severity.blocker, Severity.warning, Severity.change))
    if rows:
        out += ["", "## Findings", "", "| severity | where | code | message |", "|---|---|---|---|"]
        out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    if inv.problems:
        out += ["", "## Files that could not be read", ""]
        out += [f"- `{p.file}`{f':{p.line}' if p.line else ''}: {_cell(p.message)}" for p in inv.problems]
    return "\n".join(out) + "\n"
