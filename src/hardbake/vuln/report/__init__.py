"""Scan report formats: one module per format, dispatched by this explicit mapping."""

from __future__ import annotations

from hardbake.errors import InputError
from hardbake.vuln.report import cyclonedx, json_doc, openvex, sarif, table
from hardbake.vuln.report.interface import RenderContext, Renderer
from hardbake.vuln.result import ScanReport

FORMATS: dict[str, Renderer] = {
    "table": table.render,
    "json": json_doc.render,
    "sarif": sarif.render,
    "cyclonedx": cyclonedx.render,
    "openvex": openvex.render,
}


def render(report: ScanReport, fmt: str, ctx: RenderContext | None = None) -> str:
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown report format {fmt!r}", hint=f"one of: {', '.join(FORMATS)}") from None
    return renderer(report, ctx or RenderContext())


__all__ = ["FORMATS", "RenderContext", "render"]
