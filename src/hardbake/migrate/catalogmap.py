"""Map an image reference to its hardened equivalent in a catalog, and say how good the match is.

The catalog is a parameter (a sequence of `hardbake.spec.catalog.CatalogEntry`-like values), so
callers and tests choose it; `default_catalog()` reads the shipped one. Version rules:

- the tag's version and a catalog version agree on every component both name
  (`3.13.1` ~ `3.13`, `3` ~ `3.13`, `20.11` ~ `20`): **exact**, the newest such version;
- otherwise **family**: the smallest newer version, else the newest older one (an upgrade is
  safer than a downgrade), and the note says which was chosen and what exists;
- for data stores (postgres, mariadb, redis) another major version is only a **suggestion**:
  their data directories need an upgrade step, so nothing is rewritten automatically;
- `mysql` is offered `mariadb` as a **suggestion**, never rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.migrate import families as fam
from hardbake.migrate import official
from hardbake.migrate.model import Confidence, Match
from hardbake.oci.reference import RegistryRef

DEFAULT_PREFIX = "hardbake"


class CatalogItem(Protocol):
    """What the mapping reads of a catalog entry (`hardbake.spec.catalog.CatalogEntry` has it)."""

    @property
    def family(self) -> str: ...
    @property
    def version(self) -> str | None: ...
    @property
    def distro(self) -> str: ...
    @property
    def variant(self) -> str: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


def default_catalog(root: Path | None = None) -> list[CatalogItem]:
    """The shipped catalog (`hardbake.spec.catalog.entries()`), or the one under `root`."""
    from hardbake.spec.catalog import entries

    if root is not None and not root.is_dir():
        raise InputError(
            f"--catalog {root}: not a directory", hint="give a directory of <family>/<distro>/<name>.yaml"
        )
    return list(entries(root))


def version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


def _compatible(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


def _hardbake_distro(name: str | None) -> bool:
    return name is not None and any(d.name == name for d in distros.DISTROS)


def _distro_label(name: str) -> str:
    for d in distros.DISTROS:
        if d.name == name:
            return f"{d.name} ({d.codename})"
    return name


class Mapper:
    """Maps references against one catalog under one registry prefix."""

    def __init__(self, catalog: Sequence[CatalogItem], prefix: str = DEFAULT_PREFIX) -> None:
        prefix = prefix.rstrip("/")
        try:
            probe = RegistryRef.parse(f"{prefix}/probe")
        except InputError as e:
            raise InputError(
                f"--registry {prefix!r} is not a registry prefix: {e.message}",
                hint="give REGISTRY[/NAMESPACE], e.g. registry.example.com/hardened",
            ) from e
        self.catalog = list(catalog)
        self.prefix = prefix
        self._prefix_registry = probe.registry
        self._prefix_path = probe.repository.rsplit("/", 1)[0]

    def is_hardened(self, ref: RegistryRef) -> bool:
        return ref.registry == self._prefix_registry and ref.repository.startswith(self._prefix_path + "/")

    def match_text(self, resolved: str | None) -> tuple[str | None, Match]:
        """(normalised reference, match) for a reference as written after variable substitution."""
        if resolved is None:
            return None, Match(Confidence.none, "a variable in the reference has no value here")
        try:
            ref = RegistryRef.parse(resolved)
        except InputError as e:
            return None, Match(Confidence.none, f"not an image reference: {e.message}")
        return ref.canonical, self.match(ref)

    def match(self, ref: RegistryRef) -> Match:
        if self.is_hardened(ref):
            return Match(Confidence.hardened, "already a hardbake image")
        info = official.read(ref)
        if info is None:
            return Match(
                Confidence.none, f"{ref.familiar}: not an official image hardbake has an equivalent for"
            )
        if info.unsupported:
            return Match(Confidence.none, info.unsupported)
        runtime = [e for e in self.catalog if e.family == info.family and e.variant == "runtime"]
        if not runtime:
            return Match(Confidence.none, f"the catalog has no {info.family} image")
        notes: list[str] = []
        if any(e.version for e in runtime):
            confidence, chosen = self._by_version(info, runtime, notes)
        else:
            confidence, chosen = self._by_distro(info, runtime, notes)
        if info.repo in ("ubuntu", "alpine"):
            confidence = Confidence.family
        if info.substitute:
            confidence = Confidence.suggestion
            notes.insert(0, f"{info.repo} -> {info.family}: {info.substitute}")
        self._flavour_notes(info, ref, notes)
        pinned = _hardbake_distro(info.distro) and info.distro == chosen.distro
        dev = next(
            (
                e
                for e in self.catalog
                if (e.family, e.version, e.distro, e.variant)
                == (chosen.family, chosen.version, chosen.distro, "dev")
            ),
            None,
        )
        return Match(
            confidence,
            "; ".join(notes),
            family=chosen.family,
            version=chosen.version,
            distro=chosen.distro,
            runtime=f"{self.prefix}/{chosen.family}:{_tag(chosen, pinned)}",
            dev=f"{self.prefix}/{dev.family}:{_tag(dev, pinned)}" if dev else None,
            pinned_distro=pinned,
        )

    def _by_version(
        self, info: official.TagInfo, runtime: list[CatalogItem], notes: list[str]
    ) -> tuple[Confidence, CatalogItem]:
        versions = sorted({e.version for e in runtime if e.version}, key=version_key)
        offered = ", ".join(versions)
        data_store = info.family in fam.DATA_STORES
        on_distro = sorted(
            {e.version for e in runtime if e.version and e.distro == info.distro}, key=version_key
        )
        if info.version is None and info.substitute:
            chosen_v = versions[-1]
            notes.append(f"{info.family} {chosen_v} offered (offered: {offered})")
            confidence = Confidence.suggestion
        elif info.version is None and info.version_from_distro and on_distro:
            chosen_v = on_distro[-1]
            confidence = Confidence.exact
        elif info.version is None:
            chosen_v = versions[-1]
            notes.append(
                f"the tag names no version: the newest catalog version {chosen_v} is offered (offered: {offered})"
            )
            confidence = Confidence.suggestion if data_store else Confidence.family
        else:
            want = version_key(info.version)
            same = [v for v in versions if _compatible(version_key(v), want)]
            if same:
                chosen_v = same[-1]
                confidence = Confidence.exact
                if len(want) > len(version_key(chosen_v)):
                    notes.append(
                        f"{info.version} -> {chosen_v}: the patch level follows Debian's {chosen_v}.x"
                    )
            else:
                newer = [v for v in versions if version_key(v) > want]
                chosen_v = newer[0] if newer else versions[-1]
                confidence = Confidence.suggestion if data_store else Confidence.family
                why = " (a data store: upgrade its data directory first)" if data_store else ""
                notes.append(
                    f"no {info.family} {info.version} in the catalog; nearest offered: {chosen_v}{why} (offered: {offered})"
                )
        at = [e for e in runtime if e.version == chosen_v]
        return confidence, self._pick_distro(info, at, notes, f"{info.family} {chosen_v}")

    def _by_distro(
        self, info: official.TagInfo, runtime: list[CatalogItem], notes: list[str]
    ) -> tuple[Confidence, CatalogItem]:
        chosen = self._pick_distro(info, runtime, notes, info.family)
        if info.version is not None:
            notes.append(
                f"the catalog's {info.family} carries Debian's version for {_distro_label(chosen.distro)}, "
                f"not a chosen {info.version}"
            )
        elif info.distro is None and info.repo not in ("ubuntu", "alpine"):
            notes.append(
                f"the tag names no distribution: the newest, {_distro_label(chosen.distro)}, is offered"
            )
        if info.family in fam.DATA_STORES:
            notes.append(
                "a data store whose version cannot be confirmed: check that it reads your data first"
            )
            return Confidence.suggestion, chosen
        if info.version is None and info.distro is not None and info.distro == chosen.distro:
            return Confidence.exact, chosen
        return Confidence.family, chosen

    def _pick_distro(
        self, info: official.TagInfo, entries: list[CatalogItem], notes: list[str], what: str
    ) -> CatalogItem:
        by_distro = {e.distro: e for e in entries}
        if info.distro in by_distro:
            return by_distro[info.distro]
        chosen = by_distro[max(by_distro)]
        if info.distro == "alpine":
            notes.append(
                "Alpine (musl, apk) becomes Debian (glibc, apt): binaries built on Alpine must be rebuilt"
            )
        elif info.distro and info.distro.startswith("ubuntu"):
            notes.append(f"{info.distro} becomes Debian {_distro_label(chosen.distro)}")
        elif info.distro and _hardbake_distro(info.distro):
            notes.append(
                f"{what} is built on {_distro_label(chosen.distro)}, not {_distro_label(info.distro)}"
            )
        elif info.distro:
            notes.append(f"{info.distro} is not in the catalog; {_distro_label(chosen.distro)} is offered")
        return chosen

    @staticmethod
    def _flavour_notes(info: official.TagInfo, ref: RegistryRef, notes: list[str]) -> None:
        if info.family == "java" and info.jdk:
            notes.append("JDK tag: the runtime variant carries the JRE, the JDK is in the -dev variant")
        if info.family in ("cc", "base") and info.repo in ("debian", "ubuntu", "alpine"):
            notes.append(
                "an OS image becomes cc (libc, libssl, libgcc, libstdc++); static or base are smaller "
                "for programs that need less"
            )
        if ref.digest:
            notes.append(
                "the digest pin is dropped: pin the hardened image's own digest after the first pull"
            )


def _tag(entry: CatalogItem, pinned: bool) -> str:
    """The entry's short tag, or the one naming its distro when the original named one."""
    suffix = "-dev" if entry.variant == "dev" else ""
    if pinned:
        dtag = distros.get(entry.distro).tag
        want = f"{entry.version}-{dtag}{suffix}" if entry.version else f"{dtag}{suffix}"
        if want in entry.tags:
            return want
    return entry.tags[0]
