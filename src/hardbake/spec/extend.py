"""`extends:`: a spec that customises another spec or catalog image without forking it.

The child adds packages, files, certificates, environment and labels; lists are appended,
mappings merged (the child wins), and any other field the child sets replaces the parent's.
Local paths in the parent (`source:` files, certificates) are made absolute first, so they
keep pointing at the parent's own directory.
"""

from __future__ import annotations

from pathlib import Path

from hardbake.spec.load import LoadedSpec, SpecError, load
from hardbake.spec.model import ImageSpec

_APPEND = (
    "packages",
    "drop",
    "repositories",
    "paths",
    "exclude_paths",
    "certificates",
    "ports",
    "volumes",
    "tmpfs",
)
_MERGE = ("environment", "labels", "annotations", "os_release")


def _absolute(loaded: LoadedSpec) -> ImageSpec:
    base = loaded.path.parent
    s = loaded.spec
    paths = [
        p.model_copy(update={"source": str((base / p.source).resolve())}) if p.source else p for p in s.paths
    ]
    certs = [str((base / c).resolve()) for c in s.certificates]
    repos = [r.model_copy(update={"keyring": str((base / r.keyring).resolve())}) for r in s.repositories]
    return s.model_copy(update={"paths": paths, "certificates": certs, "repositories": repos})


def parent_of(child: LoadedSpec) -> LoadedSpec:
    """Load the spec `child.spec.extends` names: a path (relative to the child) or a catalog name."""
    ref = child.spec.extends
    assert ref is not None
    p = (child.path.parent / ref).resolve()
    if ref.endswith((".yaml", ".yml")) or p.exists():
        parent = load(p)
    else:
        from hardbake.spec import catalog

        parent = catalog.find(ref).load()
    if parent.spec.distro != child.spec.distro:
        raise SpecError(
            f"{child.where('distro')}: distro {child.spec.distro} differs from {ref}'s {parent.spec.distro}",
            hint="an image can only extend one of the same Debian release",
        )
    return parent


def merge(parent: LoadedSpec, child: LoadedSpec) -> LoadedSpec:
    """The effective spec of `child` (its own file and lines, for error messages)."""
    p = _absolute(parent)
    c = child.spec
    data = p.model_dump(by_alias=False)
    own = c.model_dump(by_alias=False)
    for field in c.model_fields_set:
        if field in ("extends",):
            continue
        if field in _APPEND:
            data[field] = data[field] + [x for x in own[field] if x not in data[field]]
        elif field in _MERGE:
            data[field] = {**data[field], **own[field]}
        elif field == "allowed_programs":
            data[field] = sorted(set(data[field] or ()) | set(own[field] or ()))
        elif field == "accounts":
            acc = data["accounts"]
            acc["users"] = acc["users"] + own["accounts"]["users"]
            acc["groups"] = acc["groups"] + own["accounts"]["groups"]
            if "run_as" in c.accounts.model_fields_set:
                acc["run_as"] = own["accounts"]["run_as"]
        elif field == "hardening":
            data["hardening"]["exemptions"] += own["hardening"]["exemptions"]
            data["hardening"]["writable"] += own["hardening"]["writable"]
        else:
            data[field] = own[field]
    data["extends"] = c.extends
    merged = ImageSpec.model_validate(data)
    return LoadedSpec(merged, child.path, child.lines)


def resolve(loaded: LoadedSpec, depth: int = 0) -> tuple[LoadedSpec, LoadedSpec | None]:
    """(effective spec, effective parent or None)."""
    if loaded.spec.extends is None:
        return loaded, None
    if depth > 8:
        raise SpecError(f"{loaded.path}: `extends` chain is too deep (a loop?)")
    parent, _ = resolve(parent_of(loaded), depth + 1)
    return merge(parent, loaded), parent


__all__ = ["Path", "merge", "parent_of", "resolve"]
