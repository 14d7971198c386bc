"""Finding a profile by name or file, and applying command-line overrides.

`PROFILE` on the command line is a built-in name (`dev`, `staging`, `production`,
`max-security`) or a YAML file. A file holds one profile; `extends: production` starts from a
built-in and changes only what the file says. Unknown keys are refused with the file, the line
and the field named, so a typo (`memroy: 1g`) never silently becomes the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hardbake.errors import InputError
from hardbake.runtime.profile import BUILTIN, Profile
from hardbake.runtime.units import parse_cpus, parse_size

#: Fields whose command-line value is taken as text, never read as YAML (YAML 1.1 would read
#: `65532:65532` as a base-60 number).
_TEXT_FIELDS = frozenset({"name", "description", "user", "network", "restart"})


def load_profile(spec: str) -> Profile:
    """A built-in profile by name, or the profile in the YAML file `spec`."""
    if spec in BUILTIN:
        return BUILTIN[spec]
    path = Path(spec)
    if not path.is_file():
        raise InputError(
            f"unknown profile {spec!r}: not a built-in profile and no such file",
            hint=f"use one of {', '.join(BUILTIN)} or the path of a profile YAML file",
        )
    return load_profile_file(path)


def load_profile_file(path: Path) -> Profile:
    try:
        text = path.read_text()
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read profile file {path}: {e}") from e
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise InputError(f"{path}: a profile file holds one mapping (name: ..., memory: ..., cpus: ...)")
    base_name = data.pop("extends", None)
    merged: dict[str, Any] = {}
    if base_name is not None:
        if base_name not in BUILTIN:
            raise InputError(
                f"{path}: extends: {base_name!r} is not a built-in profile",
                hint=f"extend one of {', '.join(BUILTIN)}",
            )
        merged = BUILTIN[base_name].model_dump(exclude_none=True)
    # The file names the profile unless it says `name:`.
    merged["name"] = re.sub(r"[^a-z0-9_.-]+", "-", path.stem.lower()).strip("-.") or "custom"
    merged.update(data)
    try:
        return Profile.model_validate(merged)
    except ValidationError as e:
        raise InputError(_describe(e, source=str(path), root=root)) from e


def apply_overrides(profile: Profile, overrides: Mapping[str, Any], *, raw: Sequence[str] = ()) -> Profile:
    """A new profile with `overrides` (field -> value) applied and validated like a file."""
    if not overrides:
        return profile
    data = profile.model_dump(exclude_none=True)
    data.update(overrides)
    # Lowering a limit below the profile's request lowers the request with it (unless the
    # request was overridden too): `--memory 64m` on production means "64m", not an error.
    for limit, request, parse in (
        ("memory", "memory_request", parse_size),
        ("cpus", "cpu_request", parse_cpus),
        ("storage", "storage_request", parse_size),
    ):
        if limit in overrides and request not in overrides and data.get(request) is not None:
            try:
                new_limit = parse(overrides[limit]) if overrides[limit] is not None else None
            except InputError:
                continue  # validation below reports the bad value with its field
            if new_limit is None:
                data.pop(request)
            elif data[request] > new_limit:
                data[request] = new_limit
    try:
        return Profile.model_validate(data)
    except ValidationError as e:
        source = "command-line override" + (f" ({', '.join(raw)})" if raw else "")
        raise InputError(_describe(e, source=source, root=None)) from e


def parse_set(items: Sequence[str]) -> dict[str, Any]:
    """`--set memory=1g --set read_only=false` -> {"memory": "1g", "read_only": False}."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InputError(f"--set {item!r}: expected FIELD=VALUE, e.g. --set memory=768m")
        if key in _TEXT_FIELDS:
            out[key] = value
            continue
        try:
            out[key] = yaml.safe_load(value) if value else None
        except yaml.YAMLError as e:
            raise InputError(f"--set {item!r}: value is not valid YAML: {e}") from e
    return out


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of `loc` (to list the keys it allows)."""
    model: type[BaseModel] | None = Profile
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _first_model(field.annotation)
    return model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == part:
                    if part == loc[-1] and not isinstance(v, yaml.MappingNode | yaml.SequenceNode):
                        return int(k.start_mark.line) + 1
                    node = v
                    break
            else:
                return int(node.start_mark.line) + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1 if node is not None else None


def _describe(e: ValidationError, *, source: str, root: yaml.Node | None) -> str:
    lines = []
    for err in e.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        field = ".".join(str(p) for p in loc) or "(profile)"
        line = _line(root, loc) if root is not None else None
        where = f"{source}:{line}" if line else source
        if err["type"] == "extra_forbidden":
            model = _model_at(loc)
            known = ", ".join(model.model_fields) if model else ""
            lines.append(
                f"{where}: field {field!r}: unknown key" + (f" (known keys: {known})" if known else "")
            )
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{where}: field {field!r}: {msg}")
    return "invalid profile:\n  " + "\n  ".join(lines)


def overrides_from_flags(
    *,
    memory: str | None = None,
    cpus: str | None = None,
    pids: int | None = None,
    tmpfs: Sequence[str] = (),
    devices: Sequence[str] = (),
    healthcheck: str | None = None,
    user: str | None = None,
    network: str | None = None,
    restart: str | None = None,
    set_items: Sequence[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """The overrides the common command-line flags ask for, and their spelling (for messages)."""
    out: dict[str, Any] = {}
    raw: list[str] = []
    for key, value, flag in (
        ("memory", memory, "--memory"),
        ("cpus", cpus, "--cpus"),
        ("pids", pids, "--pids-limit"),
        ("user", user, "--user"),
        ("network", network, "--network"),
        ("restart", restart, "--restart"),
    ):
        if value is not None:
            out[key] = value
            raw.append(f"{flag} {value}")
    if tmpfs:
        out["tmpfs"] = list(tmpfs)
        raw.extend(f"--tmpfs {t}" for t in tmpfs)
    if devices:
        out["devices"] = list(devices)
        raw.extend(f"--device {d}" for d in devices)
    if healthcheck is not None:
        out["healthcheck"] = {"test": healthcheck} if healthcheck.strip() else None
        raw.append(f"--healthcheck {healthcheck!r}")
    out.update(parse_set(set_items))
    raw.extend(f"--set {s}" for s in set_items)
    return out, raw


def parse_env(items: Sequence[str]) -> dict[str, str]:
    """`--env KEY=VALUE` (repeatable) -> {"KEY": "VALUE"}."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--env {item!r}: expected KEY=VALUE")
        env[key] = value
    return env
