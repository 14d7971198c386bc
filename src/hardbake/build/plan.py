"""From a spec to locks: which exact .debs each architecture of an image is built from.

`hardbake lock SPEC` writes the image lock (one `ArchLock` per architecture, plus the spec's
digest); `hardbake build --lock FILE` builds exactly that, and a build without `--lock`
resolves first. Errors about packages point at the spec line that asked for them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardbake import atomic
from hardbake import distro as distros
from hardbake.debian.client import DebianClient
from hardbake.debian.lock import ArchLock, read_json
from hardbake.debian.resolve import Request, Requirement, ResolveError, resolve
from hardbake.debian.sources import Repository
from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.spec.load import LoadedSpec, SpecError
from hardbake.spec.model import Variant

LOCK_VERSION = 1


@dataclass(frozen=True)
class ImageLock:
    name: str
    distro: str
    spec_digest: str
    arches: dict[str, ArchLock]
    parent: ImageLock | None = None  # the lock of the image this one extends

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lockVersion": LOCK_VERSION,
            "image": {"name": self.name, "distro": self.distro, "specDigest": self.spec_digest},
            "arches": {a: lk.to_json() for a, lk in sorted(self.arches.items())},
        }
        if self.parent is not None:
            out["parent"] = self.parent.to_json()
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, path: Path) -> ImageLock:
        return cls.from_json(read_json(path), str(path))

    @classmethod
    def from_json(cls, d: dict[str, Any], origin: str) -> ImageLock:
        if d.get("lockVersion") != LOCK_VERSION or "arches" not in d:
            raise InputError(f"{origin}: not a hardbake image lock (lockVersion {LOCK_VERSION} with arches)")
        img = d.get("image", {})
        return cls(
            name=img.get("name", ""),
            distro=img.get("distro", ""),
            spec_digest=img.get("specDigest", ""),
            arches={a: ArchLock.from_json(v, origin) for a, v in d["arches"].items()},
            parent=cls.from_json(d["parent"], origin) if "parent" in d else None,
        )


def extra_repositories(loaded: LoadedSpec) -> tuple[Repository, ...]:
    base = loaded.path.parent
    return tuple(
        Repository(r.name, r.uri, r.suite, tuple(r.components), (base / r.keyring).resolve())
        for r in loaded.spec.repositories
    )


def _check_names(loaded: LoadedSpec, client: DebianClient, suites: tuple[str, ...], arch: str) -> None:
    """Every package the spec names must exist: else point at its line."""
    u = client.universe(suites, arch)
    for i, item in enumerate(loaded.spec.packages):
        name = item.lstrip("!").split("=", 1)[0].strip()
        if not u.named(name) and not u.providers(name):
            raise SpecError(
                f"{loaded.where('packages', i)}: packages[{i}]: package {name!r} does not exist in "
                f"{', '.join(suites)} ({arch})",
                hint="check the spelling with `hardbake resolve NAME --suite ...`",
            )
    for i, d in enumerate(loaded.spec.drop):
        if not u.named(d.package) and not u.providers(d.package):
            raise SpecError(
                f"{loaded.where('drop', i, 'package')}: drop[{i}].package: {d.package!r} does not exist"
            )


#: what every dev variant adds to its spec's packages (besides the Essential set)
DEV_PACKAGES = ("apt", "debian-archive-keyring", "ca-certificates")


def lock_spec(
    loaded: LoadedSpec, client: DebianClient, archs: list[str] | None = None, parent: ImageLock | None = None
) -> ImageLock:
    """Lock `loaded` (an effective spec); with `parent`, the parent's packages keep their versions."""
    spec = loaded.spec
    distro = distros.get(spec.distro)
    suites = distro.suites
    dev = spec.variant == Variant.dev
    if dev and spec.drop:
        raise SpecError(
            f"{loaded.where('drop')}: drop: a dev variant keeps every dependency (apt refuses to install "
            "anything into a system with broken dependencies)",
            hint="move the drops to the runtime spec",
        )
    arches: dict[str, ArchLock] = {}
    for arch in archs or spec.archs:
        cached = _cached_lock(loaded, client, suites, arch, parent)
        if cached is not None:
            arches[arch] = cached
            continue
        _check_names(loaded, client, suites, arch)
        names = list(spec.packages)
        if dev:
            names += [
                n for n in (*client.universe(suites, arch).essential(), *DEV_PACKAGES) if n not in names
            ]
        request = Request.from_args(names, {d.package: d.reason for d in spec.drop})
        if parent is not None and arch in parent.arches:
            pins = tuple(Requirement(p.name, DebVersion(p.version)) for p in parent.arches[arch].packages)
            request = Request(request.requirements, request.exclude, request.drops, pins)
        try:
            res = resolve(client.universe(suites, arch), request)
        except ResolveError as e:
            raise SpecError(f"{loaded.path}: packages ({arch}): {e.message}", hint=e.hint) from e
        repos = tuple((r.name, r.suite) for r in client.repositories(suites))
        arches[arch] = ArchLock.from_resolution(res, repos)
        _store_lock(loaded, client, suites, arch, parent, arches[arch])
    return ImageLock(spec.name, spec.distro, loaded.digest, arches, parent)


def _lock_key(
    loaded: LoadedSpec, client: DebianClient, suites: tuple[str, ...], arch: str, parent: ImageLock | None
) -> str:
    """Same spec, same signed Releases (by digest), same parent: the same resolution."""
    releases = [(r.name, r.suite, client.archive.release(r).sha256) for r in client.repositories(suites)]
    parent_json = parent.arches[arch].to_json() if parent is not None and arch in parent.arches else None
    blob = json.dumps([LOCK_VERSION, loaded.digest, arch, releases, parent_json], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _cached_lock(
    loaded: LoadedSpec, client: DebianClient, suites: tuple[str, ...], arch: str, parent: ImageLock | None
) -> ArchLock | None:
    path = client.cache_root / "locks" / f"{_lock_key(loaded, client, suites, arch, parent)}.json"
    try:
        return ArchLock.from_json(json.loads(path.read_text()), str(path))
    except (OSError, ValueError, InputError):
        return None


def _store_lock(
    loaded: LoadedSpec,
    client: DebianClient,
    suites: tuple[str, ...],
    arch: str,
    parent: ImageLock | None,
    lock: ArchLock,
) -> None:
    path = client.cache_root / "locks" / f"{_lock_key(loaded, client, suites, arch, parent)}.json"
    atomic.write_text(path, json.dumps(lock.to_json(), sort_keys=True))
