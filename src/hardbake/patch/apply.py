"""`hardbake patch`: update an image's vulnerable Debian packages in place, in one new layer.

Like Copacetic, without a container runtime or a package manager in the image: the image's
dpkg database says what is installed; the archive's signed security and updates suites say
what is newer; the newer .debs are downloaded and verified (InRelease signature -> Packages
hash -> .deb sha256), checked against the rules (`rules`, `scripts`, `layer`), and laid over
the image as one layer (`layer`). The image below is not touched: every earlier layer keeps
its digest. With a vulnerability DB, the report says which vulnerabilities each update fixes
(scan before and after, plus the CVEs the new changelogs name).

Refusals are per package, with every reason; by default any refusal aborts the patch
(nothing is written), `ignore_errors` patches what can be patched and reports the rest.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hardbake import distro as distros
from hardbake import paths
from hardbake.debian.client import DebianClient
from hardbake.debian.lock import LockedPackage
from hardbake.debian.packages import PackageRecord
from hardbake.debian.version import DebVersion
from hardbake.errors import GateFailed, InputError
from hardbake.oci import BlobStore, mutate
from hardbake.oci.config import History, rfc3339
from hardbake.oci.filesystem import EntryKind, Filesystem
from hardbake.oci.image import Image
from hardbake.oci.layer import write_layers
from hardbake.oci.tarentry import TarEntry
from hardbake.patch import dpkgdb, layer, rules, scripts
from hardbake.patch.dpkgdb import DpkgDB, Installed, Stanza
from hardbake.vuln import VulnDB

Progress = Callable[[str], None]


class PatchRefused(GateFailed):
    """Packages with fixes could not be patched in place (exit 1); nothing was written."""


@dataclass(frozen=True)
class Updated:
    name: str
    arch: str
    old: str
    new: str
    suite: str
    files: int
    whiteouts: int
    kept_conffiles: tuple[str, ...] = ()
    vulns_fixed: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return dict(
            self.__dict__, kept_conffiles=list(self.kept_conffiles), vulns_fixed=list(self.vulns_fixed)
        )


@dataclass(frozen=True)
class Refusal:
    name: str
    arch: str
    old: str
    new: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__, reasons=list(self.reasons))


@dataclass
class PatchReport:
    image: str
    platform: str
    distro: str
    database: str  # status | status.d
    suites: tuple[str, ...]
    base_digest: str
    digest: str = ""
    output: str | None = None
    layer: dict[str, Any] | None = None
    updated: list[Updated] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    up_to_date: int = 0
    skipped: list[str] = field(default_factory=list)
    vulns_before: int | None = None
    vulns_after: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "output": self.output,
            "platform": self.platform,
            "distro": self.distro,
            "dpkgDatabase": self.database,
            "suites": list(self.suites),
            "baseDigest": self.base_digest,
            "digest": self.digest,
            "layer": self.layer,
            "updated": [u.to_json() for u in self.updated],
            "refused": [r.to_json() for r in self.refused],
            "upToDate": self.up_to_date,
            "skipped": self.skipped,
            "vulnerabilities": {"before": self.vulns_before, "after": self.vulns_after},
        }


def os_release(fs: Filesystem, files: Mapping[str, bytes]) -> dict[str, str]:
    """/etc/os-release (following its link inside the image), else /usr/lib/os-release."""
    path = "etc/os-release"
    for _ in range(8):
        info = fs.get(path)
        if info is None:
            break
        if info.kind is not EntryKind.SYMLINK:
            return _parse_os_release(files.get(path) or fs.read_bytes(path))
        base = "" if info.linkname.startswith("/") else posixpath.dirname(path)
        path = posixpath.normpath(posixpath.join("/", base, info.linkname)).lstrip("/")
    if fs.get("usr/lib/os-release") is not None:
        return _parse_os_release(files.get("usr/lib/os-release") or fs.read_bytes("usr/lib/os-release"))
    raise InputError(
        f"{fs.image}: no /etc/os-release", hint="hardbake patch needs to know the Debian release"
    )


def _parse_os_release(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode("utf-8", "replace").splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k.strip()] = v.strip().strip("\"'")
    return out


def image_distro(fs: Filesystem, files: Mapping[str, bytes]) -> distros.Distro:
    osr = os_release(fs, files)
    if "debian" not in (osr.get("ID", ""), *osr.get("ID_LIKE", "").split()):
        raise InputError(
            f"{fs.image}: not a Debian-based image (os-release ID={osr.get('ID')!r})",
            hint="hardbake patch updates Debian packages from Debian's archive",
        )
    for key in ("VERSION_CODENAME", "VERSION_ID"):
        if osr.get(key):
            try:
                return distros.get(osr[key])
            except InputError:
                continue
    raise InputError(f"{fs.image}: Debian release {osr.get('VERSION_ID') or '?'} is not one hardbake knows")


def _locked(rec: PackageRecord) -> LockedPackage:
    return LockedPackage(
        rec.name, str(rec.version), rec.architecture, rec.source, str(rec.source_version), rec.size,
        rec.installed_size, rec.sha256, rec.filename, rec.suite, rec.repo,
    )  # fmt: skip


def candidates(
    db: DpkgDB, client: DebianClient, suites: Sequence[str], arch: str, only: Sequence[str]
) -> tuple[list[tuple[Installed, PackageRecord]], int, list[str]]:
    """(installed, newer record) pairs; how many are up to date; what was skipped and why."""
    u = client.universe(tuple(suites), arch)
    found, current, skipped = [], 0, []
    for p in db.packages:
        if only and p.name not in only:
            continue
        if p.arch not in (arch, "all"):
            skipped.append(f"{p.name}:{p.arch}: another architecture than the image's {arch}")
            continue
        recs = [r for r in u.named(p.name) if r.architecture == p.arch]
        if recs and recs[0].version > DebVersion(p.version):
            found.append((p, recs[0]))
        else:
            current += 1
    return found, current, skipped


def _owners(db: DpkgDB, fs: Filesystem, lists: dict[str, bytes]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in db.packages:
        if db.style == "status":
            text = lists.get(f"{dpkgdb.INFO}/{p.info_name}.list", b"").decode("utf-8", "replace")
            paths = [line for line in text.splitlines() if line and line != "/."]
        else:
            paths = dpkgdb.md5sums_paths(lists.get(f"{p.origin}.md5sums", b""))
        for path in paths:
            try:
                out.setdefault(layer.resolve(fs, layer.clean(path.lstrip("/"))), set()).add(p.name)
            except layer.PatchContentError:
                continue
    return out


def patch_image(
    image: Image,
    client: DebianClient,
    *,
    name: str,
    suites: Sequence[str] | None = None,
    only: Sequence[str] = (),
    vuln_db: VulnDB | None = None,
    ignore_errors: bool = False,
    progress: Progress = lambda s: None,
) -> tuple[Image, PatchReport]:
    """The patched image (the input itself when nothing needed patching) and the report."""
    progress("reading the image")
    fs = Filesystem.scan(image)
    snap = dpkgdb.snapshot(fs)
    distro = image_distro(fs, snap)
    db = dpkgdb.read_db(fs, snap)
    arch = image.platform().debian_arch
    chosen = tuple(suites) if suites else distro.suites[:2]
    report = PatchReport(name, str(image.platform()), distro.name, db.style, chosen, str(image.digest()))
    progress(f"looking for newer packages in {', '.join(chosen)}")
    found, report.up_to_date, report.skipped = candidates(db, client, chosen, arch, only)
    report.digest = str(image.digest())
    if not found:
        return image, report
    locked = {p.name: _locked(rec) for p, rec in found}
    progress(f"fetching {len(locked)} verified package(s)")
    client.fetch(list(locked.values()))
    kinds = ("list", "md5sums", *scripts.KINDS)
    conf_paths = {layer.resolve(fs, c.lstrip("/")) for p, _ in found for c in p.conffiles}
    missing = [c for c in conf_paths if c not in snap]
    files = {**snap, **(dpkgdb.read_files(fs, missing) if missing else {})}
    owners = _owners(db, fs, files)
    image_md5 = {p: hashlib.md5(files[p]).hexdigest() for p in conf_paths if p in files}
    refused: dict[str, list[str]] = {}
    patches: dict[str, layer.PackagePatch] = {}
    for p, rec in found:
        info = dpkgdb.info_paths(db, p, kinds)
        old_list = files.get(info.get("list", ""), b"").decode("utf-8", "replace").splitlines()
        old_paths = [x for x in old_list if x and x != "/."] or dpkgdb.md5sums_paths(
            files.get(info.get("md5sums", ""), b"")
        )
        pp = layer.unpack(p, client.cache.path(locked[p.name]), fs, old_paths=old_paths, owners=owners,
                          image_md5=image_md5, diversions=db.diversions, trimmed=db.style == "status.d")  # fmt: skip
        for kind in scripts.KINDS:
            old = files.get(info[kind]) if kind in info else None
            why = scripts.judge(kind, pp.control.files.get(kind), old, p.version, str(rec.version))
            if why:
                pp.problems.append(why)
        if pp.problems:
            refused[p.name] = pp.problems
        else:
            patches[p.name] = pp
    before = rules.World({p.name: (DebVersion(p.version), p.stanza) for p in db.packages})
    accepted = rules.settle(
        {n: (pp.installed.stanza, pp.new_stanza) for n, pp in patches.items()}, before, refused
    )
    by_name = {p.name: (p, rec) for p, rec in found}
    report.refused = [
        Refusal(n, by_name[n][0].arch, by_name[n][0].version, str(by_name[n][1].version), tuple(r))
        for n, r in sorted(refused.items())
    ]
    if report.refused and not ignore_errors:
        lines = "".join(f"\n  - {r.name} {r.old} -> {r.new}: {'; '.join(r.reasons)}" for r in report.refused)
        raise PatchRefused(
            f"{len(report.refused)} package(s) cannot be patched in place:{lines}",
            hint="rebuild the image (hardbake build / watch), or pass --ignore-errors to patch the others",
        )
    chosen_patches = [patches[n] for n in sorted(accepted)]
    if not chosen_patches:
        return image, report
    new_image, report.layer = _layer(image, db, fs, snap, chosen_patches)
    report.digest = str(new_image.digest())
    fixed = _vulns(
        report, db, chosen_patches, {n: by_name[n][1] for n in accepted}, client, vuln_db, distro.name
    )
    report.updated = [
        Updated(pp.name, pp.installed.arch, pp.installed.version, str(by_name[pp.name][1].version),
                by_name[pp.name][1].suite, len(pp.entries), len(pp.whiteouts), tuple(pp.kept_conffiles),
                tuple(sorted(fixed.get(pp.name, ()))))
        for pp in chosen_patches
    ]  # fmt: skip
    return new_image, report


def _layer(
    image: Image, db: DpkgDB, fs: Filesystem, snap: Mapping[str, bytes], patches: Sequence[layer.PackagePatch]
) -> tuple[Image, dict[str, Any]]:
    epoch = max((e.mtime for pp in patches for e in pp.entries), default=0)
    db_files, info_whiteouts = layer.db_entries(db, fs, snap, patches, epoch)
    entries: dict[str, TarEntry] = {}
    for e in [e for pp in patches for e in pp.entries] + db_files:
        entries.setdefault(e.path, e)
    gone = sorted({w for pp in patches for w in pp.whiteouts} | set(info_whiteouts))
    gone = [w for w in gone if w not in entries]
    all_entries = [*entries.values(), *(TarEntry.whiteout(w, mtime=epoch) for w in gone)]
    (blob,) = write_layers([all_entries], BlobStore(paths.cache_dir() / "blobs"))
    summary = ", ".join(
        f"{pp.name} {pp.installed.version} -> {pp.new_stanza.get('Version')}" for pp in patches
    )
    history = History(
        created=rfc3339(epoch), created_by=f"hardbake patch: {summary}", comment="hardbake patch"
    )
    new = mutate.append_layers(image, [blob], [history])
    info = {
        "digest": str(blob.digest()),
        "size": blob.size(),
        "entries": len(entries),
        "whiteouts": len(gone),
    }
    return new, info


def _vulns(
    report: PatchReport,
    db: DpkgDB,
    patches: Sequence[layer.PackagePatch],
    records: dict[str, PackageRecord],
    client: DebianClient,
    vuln_db: VulnDB | None,
    distro: str,
) -> dict[str, set[str]]:
    """Vulnerabilities fixed per package: the CVEs the new changelogs name above the installed
    version, and with a DB, what a scan before and after tells."""
    from hardbake.watch import vulns

    fixed: dict[str, set[str]] = {}
    for pp in patches:
        rec = records[pp.name]
        text = vulns.changelog_of(client.cache.path(_locked(rec)), pp.name)
        if text is None:
            continue
        if vuln_db is not None:
            vuln_db.import_changelog(text, f"changelog:{rec.source}_{rec.source_version}")
        src_version = pp.installed.source[1]
        named = vulns.fixed_between(text, src_version, str(rec.source_version), pp.name)
        fixed[pp.name] = {f.vuln for f in named}
    if vuln_db is None:
        return fixed
    before = installed_records(db.packages)
    new = {pp.name: Installed(pp.new_stanza, pp.installed.origin) for pp in patches}
    after = installed_records([new.get(p.name, p) for p in db.packages])
    scan_before = vulns.open_findings(vulns.scan_packages(report.image, distro, before, vuln_db))
    scan_after = vulns.open_findings(vulns.scan_packages(report.image, distro, after, vuln_db))
    report.vulns_before, report.vulns_after = len(scan_before), len(scan_after)
    for pp in patches:
        src = records[pp.name].source
        gone = {v for (v, s) in set(scan_before) - set(scan_after) if s == src}
        fixed.setdefault(pp.name, set()).update(gone)
    return fixed


def installed_records(pkgs: Sequence[Installed]) -> list[dict[str, str]]:
    """Installed packages as the scanner's plain records (name, version, source, arch)."""
    return [
        {
            "name": p.name,
            "version": p.version,
            "source": p.source[0],
            "source_version": p.source[1],
            "arch": p.arch,
        }
        for p in pkgs
    ]


__all__ = ["PatchRefused", "PatchReport", "Refusal", "Stanza", "Updated", "patch_image"]
