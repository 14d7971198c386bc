#!/usr/bin/env python3
"""The README's comparison table: every catalog runtime image vs its standard counterpart.

For each family in `hardbake.testing.standard.CATALOG_STANDARDS` that the catalog ships:
build the hardened image (amd64) into the engine, make the standard one with mmdebstrap
(minbase + the same runtime), read both with `hardbake compare`'s fact collector, and write
the markdown table between the markers in README.md (and the raw figures as JSON).
Run: scripts/catalog-table [NAME...]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docker

from hardbake.compare.facts import facts
from hardbake.oci import open_image
from hardbake.oci.reference import parse_image_ref
from hardbake.spec import catalog
from hardbake.testing.standard import CATALOG_STANDARDS, ensure

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- catalog-table:start -->", "<!-- catalog-table:end -->"


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(names: list[str]) -> None:
    engine = docker.from_env(timeout=600)
    known = {e.name for e in catalog.entries()} | {
        f"{e.family}:{t}" for e in catalog.entries() for t in e.tags
    }
    names = names or [n for n in CATALOG_STANDARDS if n in known]
    rows, raw = [], {}
    for name in names:
        std = CATALOG_STANDARDS[name]
        hardened = f"hardbake/{name}"
        print(f"== {name}: building {hardened}", file=sys.stderr)
        subprocess.run([str(ROOT / ".venv/bin/hardbake"), "build", name, "--arch", "amd64", "-o", f"docker-daemon:{hardened}"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"== {name}: standard image {std.tag}", file=sys.stderr)
        ensure(std, engine)
        fa = facts(open_image(parse_image_ref(f"docker-daemon:{std.tag}")), std.tag)
        fb = facts(open_image(parse_image_ref(f"docker-daemon:{hardened}")), hardened)
        raw[name] = {"standard": fa.to_json(), "hardened": fb.to_json()}
        rows.append(
            f"| `{name}` | {mb(fa.compressed)} → **{mb(fb.compressed)}** | {len(fa.packages)} → **{len(fb.packages)}** "
            f"| {len(fa.programs)} → **{len(fb.programs)}** | {len(fa.setuid)} → **{len(fb.setuid)}** "
            f"| {', '.join(fa.shells) or 'none'} → **{', '.join(fb.shells) or 'none'}** "
            f"| {', '.join(fa.package_managers) or 'none'} → **{', '.join(fb.package_managers) or 'none'}** "
            f"| {fa.user} → **{fb.user}** |"
        )
    table = (
        "| image | size (docker save \\| gzip -6) | packages | programs on PATH | setuid/setgid | shells "
        "| package managers | user |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START in text and END in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        readme.write_text(f"{head}{START}\n{table}{END}{tail}")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "catalog-table.json").write_text(
        json.dumps(raw, indent=2, sort_keys=True) + "\n"
    )
    print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
