"""Report formats: each module renders a `ScanReport` to text; `FORMATS` in `__init__` dispatches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from hardbake.vuln.db import VulnDB
from hardbake.vuln.interface import ScanTarget
from hardbake.vuln.result import ScanReport


@dataclass(frozen=True)
class RenderContext:
    """What some formats need beyond the report (OpenVEX names the image and absent sources)."""

    target: ScanTarget | None = None
    db: VulnDB | None = None
    author: str = "hardbake"
    absent_sources: Sequence[str] = ()


class Renderer(Protocol):
    def __call__(self, report: ScanReport, ctx: RenderContext) -> str: ...
