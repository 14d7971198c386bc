"""Loading a spec file: YAML -> typed model, with errors that name the file, line and field.

PyYAML's composer keeps each node's position, so a validation error at `packages[3]` or
`accounts.run-as` is reported at the exact line a user must edit. Duplicate keys (which
PyYAML would silently resolve to the last one) are refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hardbake.errors import InputError
from hardbake.spec.model import ImageSpec

_MAX_SPEC_BYTES = 1 << 20


class SpecError(InputError):
    pass


@dataclass(frozen=True)
class LoadedSpec:
    spec: ImageSpec
    path: Path
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False, compare=False)

    def line_of(self, *loc: str | int) -> int | None:
        """The 1-based line of a field (or its closest parent present in the file)."""
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def where(self, *loc: str | int) -> str:
        line = self.line_of(*loc)
        return f"{self.path}:{line}" if line else str(self.path)

    @property
    def digest(self) -> str:
        """sha256 of the canonical JSON of the spec (what the image's labels record)."""
        canon = json.dumps(
            self.spec.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":")
        )
        return "sha256:" + hashlib.sha256(canon.encode()).hexdigest()


def _to_python(
    node: yaml.Node, path: Path, loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            key = _to_python(k, path, (*loc, "<key>"), {})
            if not isinstance(key, str):
                raise SpecError(f"{path}:{k.start_mark.line + 1}: keys must be strings, got {key!r}")
            if key in out:
                raise SpecError(f"{path}:{k.start_mark.line + 1}: duplicate key {_dotted((*loc, key))!r}")
            lines[(*loc, key)] = k.start_mark.line + 1
            out[key] = _to_python(v, path, (*loc, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, path, (*loc, i), lines) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str, path: Path) -> LoadedSpec:
    """Parse spec text (from `path`, used in messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise SpecError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    if node is None:
        raise SpecError(f"{path}: empty spec", hint="a spec needs at least `name` and `distro`")
    lines: dict[tuple[str | int, ...], int] = {}
    data = _to_python(node, path, (), lines)
    if not isinstance(data, dict):
        raise SpecError(f"{path}:1: a spec must be a mapping of fields")
    try:
        spec = ImageSpec.model_validate(data)
    except ValidationError as e:
        loaded = LoadedSpec(ImageSpec.model_construct(), path, lines)
        msgs = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            what = err["msg"]
            if err["type"] == "extra_forbidden":
                what = "unknown field (check the spelling; `hardbake spec schema` lists every field)"
            elif err["type"] == "missing":
                what = "required field is missing"
            msgs.append(f"{loaded.where(*loc)}: {_dotted(loc) or '(spec)'}: {what}")
        raise SpecError("invalid spec:\n  " + "\n  ".join(msgs)) from e
    return LoadedSpec(spec, path, lines)


def load(path: Path) -> LoadedSpec:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise SpecError(f"spec file {path} does not exist") from e
    except IsADirectoryError as e:
        raise SpecError(f"{path} is a directory, not a spec file") from e
    if len(raw) > _MAX_SPEC_BYTES:
        raise SpecError(f"{path}: {len(raw)} bytes is too large for a spec (limit {_MAX_SPEC_BYTES})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{path}: not UTF-8 text (byte {e.start})") from e
    return parse(text, path)
