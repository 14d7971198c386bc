"""The policy-source plug-in axis: turn one file's text into workloads of normalised containers.

One module per source (kubernetes, compose, dockerfile, docker_run); `hardbake.policy.sources`
holds the explicit dispatch mapping and the discovery rules that pick a source for a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from hardbake.policy.model import Location, SourceKind, Workload
from hardbake.policy.positions import Path_, Positions, json_path


class Source(Protocol):
    """Parses one file's text. Raises `InputError` for text it cannot read at all."""

    def __call__(self, text: str, file: str) -> list[Workload]: ...


@dataclass(frozen=True)
class DocContext:
    """Builds `Location`s inside one YAML document."""

    file: str
    positions: Positions = field(default_factory=lambda: Positions({}, 1))
    base: Path_ = ()

    def loc(self, *path: str | int) -> Location:
        full = (*self.base, *path)
        return Location(self.file, self.positions.line(full), json_path(full))

    def sub(self, *path: str | int) -> DocContext:
        return DocContext(self.file, self.positions, (*self.base, *path))


__all__ = ["DocContext", "Source", "SourceKind"]
