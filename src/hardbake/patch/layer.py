"""The one layer a patch adds: the new versions' files, whiteouts, and dpkg's records of them.

For each updated package, its verified .deb is read (never extracted to disk, never a script
run) and turned into layer entries placed where the *image* resolves them: an image whose
`/bin` is a link to `usr/bin` gets `./bin/x` of a Debian 12 .deb at `usr/bin/x`, as dpkg on
that system would. Directories the image has are not repeated (their owner and mode stay);
a directory entry never replaces a link to a directory. Files the old version had and the new
one lacks get a whiteout, unless another package owns them. A configuration file the image
has changed (its md5 differs from the one dpkg recorded) is kept, as `dpkg --force-confold`
would, and reported.

dpkg's database follows the files: `status` with the new stanza (`Status: install ok
installed`, `Conffiles:` with the new distributed md5s) and `info/<pkg>.{list,md5sums,
conffiles,...}` for a Debian system; `status.d/<pkg>` and `<pkg>.md5sums` for a
distroless-style image.
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardbake.build.filters import dropped_by_filters
from hardbake.debian.deb import ControlInfo, Deb
from hardbake.debian.relations import parse_relations
from hardbake.errors import InputError
from hardbake.oci.filesystem import EntryKind, Filesystem
from hardbake.oci.tarentry import TarEntry
from hardbake.patch import dpkgdb
from hardbake.patch.dpkgdb import DpkgDB, Installed, Stanza
from hardbake.spec.model import Include

_INFO_KINDS = ("md5sums", "conffiles", "preinst", "postinst", "prerm", "postrm", "config", "triggers",
               "shlibs", "symbols", "templates")  # fmt: skip
_SCRIPTS = ("preinst", "postinst", "prerm", "postrm", "config")


class PatchContentError(InputError):
    """A package's content cannot be laid over this image (device nodes, hostile paths, links)."""


def clean(name: str) -> str:
    """A .deb member name -> its archive path ('usr/bin/x'); hostile names are refused."""
    if name.startswith("/"):
        raise PatchContentError(f"absolute member name {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PatchContentError(f"member {name!r} climbs out with '..'")
    return "/".join(parts)


def resolve(fs: Filesystem, path: str, max_links: int = 40) -> str:
    """Where `path` lands in the image: links of its parent directories followed inside the image."""
    parts = path.split("/") if path else []
    cur: list[str] = []
    i = hops = 0
    while i < len(parts) - 1:
        here = "/".join([*cur, parts[i]])
        info = fs.get(here)
        if info is not None and info.kind is EntryKind.SYMLINK:
            hops += 1
            if hops > max_links:
                raise PatchContentError(f"too many links resolving /{path} in the image")
            base = "" if info.linkname.startswith("/") else "/".join(cur)
            joined = posixpath.normpath(posixpath.join("/", base, info.linkname)).lstrip("/")
            parts = (joined.split("/") if joined else []) + parts[i + 1 :]
            cur, i = [], 0
            continue
        cur.append(parts[i])
        i += 1
    return "/".join([*cur, *parts[i:]])


@dataclass(frozen=True)
class Member:
    path: str  # archive path
    info: tarfile.TarInfo
    data: bytes | None


def read_deb(path: Path, what: str) -> tuple[ControlInfo, list[Member]]:
    deb = Deb(path, what)
    control = deb.control()
    members = []
    with deb.data() as stream:
        for ti, f in stream:
            p = clean(ti.name)
            if not p:
                continue
            members.append(Member(p, ti, f.read() if f is not None else None))
    return control, members


@dataclass
class PackagePatch:
    """What one package contributes to the layer."""

    installed: Installed
    new_stanza: Stanza  # the .deb's control stanza
    control: ControlInfo
    entries: list[TarEntry] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    kept_conffiles: list[str] = field(default_factory=list)
    archive_paths: list[str] = field(default_factory=list)  # for info/<pkg>.list
    image_files: dict[str, str] = field(default_factory=dict)  # image path -> md5 (regular files)
    archive_md5: dict[str, str] = field(default_factory=dict)  # archive path -> md5 (regular files)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.installed.name


def _conffiles(control: ControlInfo) -> list[str]:
    out = []
    for line in control.files.get("conffiles", b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if parts and parts[-1].startswith("/") and "remove-on-upgrade" not in parts[:-1]:
            out.append(parts[-1])
    return out


def unpack(
    installed: Installed,
    deb: Path,
    fs: Filesystem,
    *,
    old_paths: Sequence[str],
    owners: Mapping[str, set[str]],
    image_md5: Mapping[str, str],
    diversions: Mapping[str, tuple[str, str]],
    trimmed: bool = False,
) -> PackagePatch:
    """Lay the new .deb over the image: entries, whiteouts, conffiles kept, problems found.

    `trimmed` (distroless-style images): documentation, manuals, info pages and translations
    the image does not already have stay out, as they were left out when it was built."""
    control, members = read_deb(deb, f"{installed.name} .deb")
    stanza = Stanza.parse(control.control.decode("utf-8", "replace"), f"{installed.name} control")
    pp = PackagePatch(installed, stanza, control)
    replaces = {r.name for g in parse_relations(stanza.get("Replaces") or "") for r in g}
    confs = set(_conffiles(control))
    old_md5 = installed.conffiles
    placed: dict[str, str] = {}  # archive path -> image path
    for m in members:
        ti = m.info
        pp.archive_paths.append("/" + m.path)
        try:
            target = resolve(fs, m.path)
        except PatchContentError as e:
            pp.problems.append(str(e))
            continue
        placed[m.path] = target
        if "/" + m.path in diversions:
            pp.problems.append(f"/{m.path} is diverted by {diversions['/' + m.path][1]} (dpkg-divert)")
            continue
        here = fs.get(target)
        if trimmed and here is None and not ti.isdir() and dropped_by_filters(target, Include()):
            continue
        if ti.isdir():
            if here is None:
                pp.entries.append(
                    TarEntry.dir(target, mode=ti.mode & 0o7777, uid=ti.uid, gid=ti.gid, mtime=int(ti.mtime))
                )
            elif here.kind not in (EntryKind.DIR, EntryKind.SYMLINK):
                pp.problems.append(f"/{m.path} is a directory in the package but a {here.kind} in the image")
            continue
        if here is not None and here.kind is EntryKind.DIR:
            pp.problems.append(f"/{m.path} is a {_kind(ti)} in the package but a directory in the image")
            continue
        others = owners.get(target, set()) - {installed.name} - replaces
        if others:
            pp.problems.append(f"/{m.path} also belongs to {', '.join(sorted(others))} (no Replaces)")
            continue
        if ti.isreg():
            data = m.data or b""
            md5 = hashlib.md5(data).hexdigest()
            pp.image_files[target] = md5
            pp.archive_md5[m.path] = md5
            conf = "/" + m.path
            if (
                conf in confs
                and target in image_md5
                and image_md5[target] != old_md5.get(conf, image_md5[target])
            ):
                pp.kept_conffiles.append(conf)  # changed locally: keep it (dpkg --force-confold)
                continue
            pp.entries.append(TarEntry.file(target, data, mode=ti.mode & 0o7777, uid=ti.uid, gid=ti.gid,
                                            uname=ti.uname, gname=ti.gname, mtime=int(ti.mtime)))  # fmt: skip
        elif ti.issym():
            pp.entries.append(
                TarEntry.symlink(target, ti.linkname, uid=ti.uid, gid=ti.gid, mtime=int(ti.mtime))
            )
        elif ti.islnk():
            src = placed.get(clean(ti.linkname))
            if src is None:
                pp.problems.append(f"/{m.path} is a hard link to {ti.linkname!r}, which the package lacks")
                continue
            pp.entries.append(TarEntry.hardlink(target, src, mtime=int(ti.mtime)))
            pp.image_files[target] = pp.image_files.get(src, "")
        else:
            pp.problems.append(f"/{m.path} is a {_kind(ti)}, which a layer cannot carry")
    new_targets = set(placed.values())
    for old in old_paths:
        try:
            target = resolve(fs, clean(old.lstrip("/")))
        except PatchContentError:
            continue
        here = fs.get(target)
        if (
            target in new_targets
            or here is None
            or here.kind is EntryKind.DIR
            or owners.get(target, set()) - {installed.name}
        ):
            continue
        pp.whiteouts.append(target)
    return pp


def _kind(ti: tarfile.TarInfo) -> str:
    if ti.ischr():
        return "character device"
    if ti.isblk():
        return "block device"
    if ti.isfifo():
        return "FIFO"
    if ti.issym():
        return "symlink"
    if ti.isdir():
        return "directory"
    return "file"


def status_stanza(pp: PackagePatch) -> Stanza:
    """dpkg's status entry for the new version: its control stanza, Status, Conffiles."""
    st = pp.new_stanza.with_field("Status", "install ok installed", after="Package")
    confs = _conffiles(pp.control)
    if confs:
        lines = [f" {c} {pp.archive_md5.get(c.lstrip('/'), '')}" for c in confs]
        st = st.with_field("Conffiles", "\n" + "\n".join(lines))
    return st


def db_entries(
    db: DpkgDB, fs: Filesystem, files: Mapping[str, bytes], patches: Sequence[PackagePatch], mtime: int
) -> tuple[list[TarEntry], list[str]]:
    """The dpkg database files the layer rewrites, and the info files it whites out."""
    entries: list[TarEntry] = []
    whiteouts: list[str] = []
    if db.style == "status":
        new = {pp.installed.key(): status_stanza(pp) for pp in patches}
        text = files[dpkgdb.STATUS].decode("utf-8", "replace")
        stanzas = dpkgdb.parse_stanzas(text, "/" + dpkgdb.STATUS)
        out = []
        for st in stanzas:
            key = (st.get("Package") or "", st.get("Architecture") or "")
            out.append((new.get(key) or st).dump() + "\n")
        entries.append(TarEntry.file(dpkgdb.STATUS, "".join(out).encode(), mtime=mtime))
        for pp in patches:
            base = f"{dpkgdb.INFO}/{pp.installed.info_name}"
            entries.append(
                TarEntry.file(
                    f"{base}.list",
                    ("\n".join(["/.", *_dedupe(pp.archive_paths)]) + "\n").encode(),
                    mtime=mtime,
                )
            )
            for kind in _INFO_KINDS:
                data = pp.control.files.get(kind)
                path = f"{base}.{kind}"
                if data is not None:
                    entries.append(
                        TarEntry.file(path, data, mode=0o755 if kind in _SCRIPTS else 0o644, mtime=mtime)
                    )
                elif fs.get(path) is not None:
                    whiteouts.append(path)
        return entries, whiteouts
    for pp in patches:
        stanza = pp.new_stanza
        if pp.installed.stanza.get("Status") is not None:
            stanza = stanza.with_field("Status", "install ok installed", after="Package")
        entries.append(TarEntry.file(pp.installed.origin, stanza.dump().encode(), mtime=mtime))
        md5 = "".join(f"{h}  {p}\n" for p, h in sorted(pp.image_files.items()) if h)
        entries.append(TarEntry.file(f"{pp.installed.origin}.md5sums", md5.encode(), mtime=mtime))
    return entries, whiteouts


def _dedupe(paths: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(p.rstrip("/") or "/" for p in paths))
