"""What every source (Dockerfile, Compose, Kubernetes) gets and gives back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from yaml.nodes import Node

from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.model import REWRITABLE, Confidence, FileReport
from hardbake.migrate.textfile import TextFile


@dataclass(frozen=True)
class SourceContext:
    mapper: Mapper
    root: Path  # the scanned root; files outside it are never read or written
    allowed: tuple[Confidence, ...] = REWRITABLE  # confidences `apply` rewrites


class SourceError(ValueError):
    """The file is not what its name or content promised (a Problem, not a crash)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Source(Protocol):
    """Read one file: `docs` are its YAML documents (composed, bomb-checked), [] for a Dockerfile."""

    def __call__(self, tf: TextFile, rel: str, ctx: SourceContext, docs: list[Node], /) -> FileReport: ...
