"""Assembling one architecture's root filesystem from a lock: the heart of `hardbake build`.

unpack (verified .debs, in parallel, into memory) -> filter -> emulate what maintainer
scripts would have done -> the spec's own paths -> dpkg records -> hardening. Nothing is
executed, nothing touches the build machine's filesystem, and the result depends only on
(spec, lock, SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import IO

from hardbake import distro as distros
from hardbake.build import (
    accounts,
    alternatives,
    bytecompile,
    certs,
    devimage,
    dpkgdb,
    filters,
    harden,
    ldcache,
    specpaths,
    sysfiles,
)
from hardbake.build.rootfs import MERGED_USR, ContentError, RootFS, normalise
from hardbake.debian.cache import PackageCache
from hardbake.debian.deb import ControlInfo, Deb
from hardbake.debian.lock import ArchLock, LockedPackage
from hardbake.errors import InputError
from hardbake.spec.load import LoadedSpec
from hardbake.spec.model import Variant

Members = list[tuple[tarfile.TarInfo, bytes | None]]


@dataclass
class Assembled:
    arch: str
    fs: RootFS
    epoch: int
    db: accounts.AccountDB
    controls: dict[str, ControlInfo]
    presence: list[dpkgdb.PackagePresence]
    recorded: list[str]
    hardening: harden.Hardening
    user: str
    uid: int
    gid: int
    home: str
    env: dict[str, str]
    alternatives: list[alternatives.Alternative] = field(default_factory=list)
    ld_entries: int = 0
    ca_certs: int = 0
    pyc: bytecompile.Compiled | None = None


def _read(pkg: LockedPackage, cache: PackageCache) -> tuple[ControlInfo, Members]:
    deb = Deb(cache.path(pkg), what=f"{pkg.name}_{pkg.version}_{pkg.arch}.deb")
    control = deb.control()
    members: Members = []
    with deb.data() as it:
        for ti, fo in it:
            members.append((ti, fo.read() if fo is not None else None))
    return control, members


def _replay(members: Members) -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
    """Feed pre-read members to RootFS.unpack as if streaming from the archive."""
    for ti, data in members:
        yield ti, (io.BytesIO(data) if data is not None else None)


def _shipped(members: Members) -> list[str]:
    out = []
    for ti, _ in members:
        if ti.isdir():
            continue
        try:
            p = normalise(ti.name)
        except ValueError:
            continue  # unpack refuses it with a proper message
        if p and p not in MERGED_USR:
            out.append(p)
    return out


def source_date_epoch(members_by_pkg: dict[str, Members]) -> int:
    """The newest file mtime in the packages' data: stable when the archive re-signs indices."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            return int(env)
        except ValueError as e:
            raise InputError(f"SOURCE_DATE_EPOCH={env!r} is not a number of seconds") from e
    newest = 0
    for members in members_by_pkg.values():
        for ti, _ in members:
            newest = max(newest, int(ti.mtime))
    return newest


def assemble(
    loaded: LoadedSpec,
    lock: ArchLock,
    cache: PackageCache,
    *,
    apt_sources: devimage.AptSources | None = None,
    workers: int = 4,
) -> Assembled:
    spec = loaded.spec
    distro = distros.get(spec.distro)
    runtime = spec.variant == Variant.runtime
    cache.require(lock.packages)
    with ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(lambda p: (p.name, _read(p, cache)), lock.packages))
    controls = {name: c for name, (c, _) in results}
    members = {name: m for name, (_, m) in results}
    epoch = source_date_epoch(members)

    db0 = accounts.build(spec.accounts, system=not runtime)
    names = accounts.name_map(db0)
    fs = RootFS()
    shipped: dict[str, list[str]] = {}
    for name in sorted(members):
        fs.unpack(name, _replay(members[name]), names)
        shipped[name] = _shipped(members[name])
    filters.apply(fs, spec.include, spec.exclude_paths)

    # groups the files use become real groups of the image
    used_gids = {n.gid for n in fs.tree.values()}
    extra_groups = {g for g, gid in accounts.STATIC_GROUPS.items() if gid in used_gids}
    db = accounts.build(spec.accounts, extra_groups, system=not runtime)

    sysfiles.runtime_dirs(fs, epoch)
    sysfiles.accounts(fs, db, epoch)
    sysfiles.nsswitch(fs, epoch)
    sysfiles.os_release(fs, distro, spec.name, spec.os_release, epoch)
    sysfiles.timezone(fs, epoch)
    extra_certs = certs.load_extra([loaded.path.parent / c for c in spec.certificates])
    ca = certs.write_bundle(fs, extra_certs, epoch)
    alts: list[alternatives.Alternative] = alternatives.from_jinfo(fs)
    for name in sorted(controls):
        script = controls[name].maintainer_scripts.get("postinst")
        if script:
            alts += alternatives.from_postinst(script, name)
    applied = alternatives.apply(fs, alts, epoch)
    certs.write_java_truststore(fs, epoch)
    filters.exclude(fs, spec.exclude_paths)
    specpaths.apply(fs, [specpaths.substitute(e, lock.arch) for e in spec.paths], loaded.path.parent, epoch)
    pyc = bytecompile.compile_tree(fs, spec.byte_compile, lock.arch, epoch) if spec.byte_compile else None
    n_ld = ldcache.write(fs, lock.arch, epoch)
    present = dpkgdb.presence(fs, shipped)
    if runtime:
        recorded = dpkgdb.write_status_d(fs, controls, present, epoch)
    else:
        names_by_pkg = {n: devimage.archive_paths([ti.name for ti, _ in m]) for n, m in members.items()}
        devimage.write_dpkg_db(fs, lock, controls, names_by_pkg, epoch)
        devimage.write_alternatives_db(fs, applied, epoch)
        devimage.write_base_files(fs, epoch)
        devimage.write_shells(fs, epoch)
        devimage.write_ca_conf(fs, epoch)
        devimage.write_dpkg_excludes(fs, spec.include, epoch)
        if apt_sources is not None:
            devimage.write_apt_sources(fs, apt_sources, distro, epoch)
        recorded = sorted(members)

    # clamp: nothing in the image is newer than SOURCE_DATE_EPOCH
    for path, node in list(fs.tree.items()):
        if node.mtime > epoch or node.mtime == 0:
            fs.tree[path] = replace(node, mtime=epoch)

    run_as = spec.accounts.run_as if runtime else "root"
    u = db.user(run_as)
    env = {"PATH": harden.DEFAULT_PATH}
    if ca:
        env["SSL_CERT_FILE"] = "/" + certs.BUNDLE
    env.update({k: v.replace("${DEB_ARCH}", lock.arch) for k, v in spec.environment.items()})
    writable = [*spec.hardening.writable, u.home, *spec.volumes]
    h = harden.check(
        fs,
        user=f"{u.uid}:{u.gid}",
        uid=u.uid,
        writable=writable,
        allowed_programs=spec.allowed_programs,
        exemptions=spec.hardening.exemptions,
        runtime=runtime,
        path_env=env["PATH"],
    )
    if runtime:
        harden.enforce(h, str(loaded.path))
    return Assembled(
        arch=lock.arch,
        fs=fs,
        epoch=epoch,
        db=db,
        controls=controls,
        presence=present,
        recorded=recorded,
        hardening=h,
        user=f"{u.uid}:{u.gid}",
        uid=u.uid,
        gid=u.gid,
        home=u.home,
        env=env,
        alternatives=applied,
        ld_entries=n_ld,
        ca_certs=ca,
        pyc=pyc,
    )


__all__ = ["Assembled", "ContentError", "assemble", "source_date_epoch"]
