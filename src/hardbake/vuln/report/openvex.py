"""`--format openvex`: an OpenVEX v0.2.0 document for the scanned image (see vex/produce.py)."""

from __future__ import annotations

import json

from hardbake.errors import InputError
from hardbake.vuln.report.interface import RenderContext
from hardbake.vuln.result import ScanReport
from hardbake.vuln.vex.produce import produce_openvex


def render(report: ScanReport, ctx: RenderContext) -> str:
    if ctx.target is None:
        raise InputError("the openvex format needs the scanned target (its image and packages)")
    doc = produce_openvex(report, ctx.target, ctx.db, author=ctx.author, absent_sources=ctx.absent_sources)
    return json.dumps(doc, indent=2) + "\n"
