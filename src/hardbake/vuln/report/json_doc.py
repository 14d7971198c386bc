"""`--format json`: the report as hardbake's own stable JSON (`hardbake-scan/1`)."""

from __future__ import annotations

import json

from hardbake.vuln.report.interface import RenderContext
from hardbake.vuln.result import ScanReport


def render(report: ScanReport, ctx: RenderContext) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"
