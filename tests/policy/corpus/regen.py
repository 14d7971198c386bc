"""Regenerate expected.yaml from the current findings (review the diff before committing!).

PYTHONPATH=src python tests/policy/corpus/regen.py
"""

from __future__ import annotations

from pathlib import Path

import yaml

from hardbake.policy.check import check_paths

HERE = Path(__file__).resolve().parent


def current() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in ("kubernetes", "compose", "dockerfile", "docker-run"):
        for f in sorted((HERE / kind).iterdir()):
            result = check_paths([f], profile="production")
            out[f"{kind}/{f.name}"] = sorted(
                f"{x.rule_id}@{x.line} {x.severity.name}" for x in result.findings
            )
    return out


if __name__ == "__main__":
    text = "# Expected findings per corpus file at profile production: RULE@LINE SEVERITY.\n"
    text += "# Reviewed by hand; regenerate with regen.py and review the diff.\n"
    (HERE / "expected.yaml").write_text(text + yaml.safe_dump(current(), sort_keys=True, width=120))
