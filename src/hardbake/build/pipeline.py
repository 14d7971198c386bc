"""`hardbake build` end to end: spec -> lock -> verified .debs -> rootfs per arch -> image -> outputs.

The library entry point is `build()`; the CLI only parses arguments and renders the result.
Platforms are assembled in parallel threads (decompression and compression release the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardbake import distro as distros
from hardbake import paths
from hardbake.build import buildcache, sboms
from hardbake.build import extend as extension_layers
from hardbake.build import layers as layering
from hardbake.build.assemble import Assembled, assemble
from hardbake.build.buildcache import BuildCache
from hardbake.build.devimage import AptSources
from hardbake.build.image import extend_image, make_image
from hardbake.build.plan import ImageLock, lock_spec
from hardbake.debian.client import DebianClient
from hardbake.errors import InputError
from hardbake.oci import BlobStore, Platform, mutate
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.reference import ImageRef, LayoutRef
from hardbake.oci.transport import write_image
from hardbake.spec import catalog
from hardbake.spec import extend as extension
from hardbake.spec.load import LoadedSpec, load
from hardbake.spec.model import ImageSpec, Variant

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ArchResult:
    arch: str
    platform: str
    digest: str
    size: int  # compressed bytes of config + layers
    uncompressed: int
    packages: list[str]
    excluded: list[str]
    partial: list[str]
    hardening: dict[str, Any]


@dataclass
class BuildResult:
    name: str
    tag: str
    digest: str  # the index digest for a multi-platform image, else the manifest digest
    spec: str
    spec_digest: str
    source_date_epoch: int
    outputs: list[str]
    arches: list[ArchResult]
    lock: ImageLock
    seconds: float
    image: Image | ImageIndex | None = field(default=None, repr=False)
    assembled: dict[str, Assembled] = field(default_factory=dict, repr=False)
    sboms: list[dict[str, Any]] = field(default_factory=list, repr=False)  # per arch: digest, spdx, cyclonedx

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tag": self.tag,
            "digest": self.digest,
            "spec": self.spec,
            "specDigest": self.spec_digest,
            "sourceDateEpoch": self.source_date_epoch,
            "outputs": self.outputs,
            "seconds": round(self.seconds, 3),
            "platforms": [
                {
                    "arch": r.arch,
                    "platform": r.platform,
                    "digest": r.digest,
                    "size": r.size,
                    "uncompressedSize": r.uncompressed,
                    "packageCount": len(r.packages),
                    "packages": r.packages,
                    "excludedPackages": r.excluded,
                    "partialPackages": r.partial,
                    "hardening": r.hardening,
                }
                for r in self.arches
            ],
        }


def _source_label(loaded: LoadedSpec) -> str:
    """What `org.opencontainers.image.source` says for a spec (the same however it was reached)."""
    try:
        rel = loaded.path.resolve().relative_to(catalog.catalog_root().resolve())
        return f"hardbake catalog {rel.as_posix()}"
    except ValueError:
        return f"spec:{loaded.path.name}"


def resolve_spec(ref: str) -> tuple[LoadedSpec, str, str]:
    """A spec path or catalog name -> (loaded spec, default tag, source description)."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        loaded = load(p)
        tag = loaded.spec.version or "latest"
        if loaded.spec.variant.value == "dev" and not tag.endswith("-dev"):
            tag += "-dev"
        return loaded, tag, _source_label(loaded)
    entry = catalog.find(ref)
    loaded = entry.load()
    return loaded, entry.tags[0], _source_label(loaded)


def variant_twin(ref: str, variant: Variant) -> tuple[str, Variant | None]:
    """What to build for the `variant` twin of a spec path or catalog name: the twin's own spec
    when one exists (the catalog entry of the same family, version and distro, or `X-dev.yaml`
    beside `X.yaml`), else `ref` itself built as that variant."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        stem = p.stem.removesuffix("-dev")
        own = p.with_name(f"{stem}-dev{p.suffix}" if variant == Variant.dev else f"{stem}{p.suffix}")
        return (str(own), None) if own.exists() else (ref, variant)
    entry = catalog.find(ref)
    for e in catalog.entries():
        if (e.family, e.version, e.distro, e.variant) == (
            entry.family,
            entry.version,
            entry.distro,
            variant.value,
        ):
            return e.name, None
    return ref, variant


def as_variant(loaded: LoadedSpec, tag: str, variant: Variant) -> tuple[LoadedSpec, str]:
    """The `-dev` twin of a runtime spec (or back): a dev variant keeps every dependency,
    every program and runs as root, so drops, path filters and the allow-list go."""
    if variant == Variant.dev:
        spec = loaded.spec.model_copy(
            update={"variant": Variant.dev, "drop": [], "exclude_paths": [], "allowed_programs": None}
        )
        tag = tag if tag.endswith("-dev") else f"{tag}-dev"
    else:
        spec = loaded.spec.model_copy(update={"variant": Variant.runtime})
        tag = tag.removesuffix("-dev")
    return LoadedSpec(spec, loaded.path, loaded.lines), tag


@dataclass
class BuildOptions:
    outputs: Sequence[ImageRef] = ()
    lock: Path | None = None
    archs: Sequence[str] | None = None
    platform: Platform | None = None  # for single-platform outputs
    level: int | None = None
    layers: int = 1
    workers: int = 2
    variant: Variant | None = None
    apt_sources: AptSources | None = None  # the dev image's own apt sources (default: the build's mirrors)


def _summary(a: Assembled, img: Image) -> ArchResult:
    return ArchResult(
        arch=a.arch,
        platform=str(img.platform()),
        digest=str(img.digest()),
        size=img.size(),
        uncompressed=sum(n.size for n in a.fs.tree.values()),
        packages=sorted(p.name for p in a.presence if p.state != "excluded"),
        excluded=sorted(p.name for p in a.presence if p.state == "excluded"),
        partial=sorted(p.name for p in a.presence if p.state == "partial"),
        hardening=a.hardening.to_json(),
    )


def build(
    ref: str,
    client: DebianClient,
    options: BuildOptions,
    progress: Progress = lambda s: None,
) -> BuildResult:
    t0 = time.monotonic()
    loaded, tag, source = resolve_spec(ref)
    loaded, parent = extension.resolve(loaded)
    if options.variant is not None and options.variant != loaded.spec.variant:
        loaded, tag = as_variant(loaded, tag, options.variant)
        if parent is not None:
            parent, _ = as_variant(parent, tag, options.variant)
    spec = loaded.spec
    apt_sources = options.apt_sources or AptSources(client.mirrors.debian, client.mirrors.security)
    archs = list(options.archs or spec.archs)
    if options.lock is not None:
        lock = ImageLock.read(options.lock)
        if lock.spec_digest and lock.spec_digest != loaded.digest:
            raise InputError(
                f"{options.lock} was made for another version of {loaded.path} "
                f"(spec digest {lock.spec_digest}, now {loaded.digest})",
                hint="re-run `hardbake lock` for this spec",
            )
        missing = [a for a in archs if a not in lock.arches]
        if missing:
            raise InputError(f"{options.lock} has no packages for {', '.join(missing)}")
        if parent is not None and lock.parent is None:
            raise InputError(f"{options.lock} has no parent lock, but {loaded.path} extends {spec.extends}")
    else:
        progress(f"resolving {spec.name} for {', '.join(archs)}")
        parent_lock = lock_spec(parent, client, archs) if parent is not None else None
        lock = lock_spec(loaded, client, archs, parent=parent_lock)
    cache = BuildCache(paths.cache_dir() / "built")
    locks_json = {a: lock.arches[a].to_json() for a in archs}
    if lock.parent is not None:
        locks_json["parent"] = {a: lock.parent.arches[a].to_json() for a in archs}
    cache_key = buildcache.key(
        loaded,
        locks_json,
        {"layers": options.layers, "level": options.level, "apt": [apt_sources.mirror, apt_sources.security_mirror],
         "source": source},
    )  # fmt: skip
    hit = cache.get(cache_key)
    if hit is not None:
        progress("unchanged inputs: reusing the cached build")
        top_cached, summary = hit
        return _finish(top_cached, options, spec, tag, loaded, lock, summary, t0, {})
    pkgs = {p.sha256: p for a in archs for p in lock.arches[a].packages}
    if lock.parent is not None:
        pkgs.update({p.sha256: p for a in archs for p in lock.parent.arches[a].packages})
    progress(f"fetching {len(pkgs)} packages")
    client.fetch(list(pkgs.values()))
    store = BlobStore(paths.cache_dir() / "blobs")
    base = f"debian:{distros.get(spec.distro).version}"

    def one(arch: str) -> tuple[Assembled, Image]:
        progress(f"assembling {arch}")
        a = assemble(loaded, lock.arches[arch], client.cache, apt_sources=apt_sources)
        if parent is None or lock.parent is None:
            progress(f"writing layers for {arch}")
            groups = layering.group(a.fs, lock.arches[arch], options.layers)
            return a, make_image(
                loaded, a, store, source=source, base=base, level=options.level, layer_groups=groups
            )
        plock = lock.parent.arches[arch]
        pa = assemble(parent, plock, client.cache, apt_sources=apt_sources)
        parent_source = _source_label(parent)
        pimg = make_image(
            parent, pa, store, source=parent_source, base=base, level=options.level,
            layer_groups=layering.group(pa.fs, plock, options.layers),
        )  # fmt: skip
        nodes, whiteouts = extension_layers.diff(pa.fs, a.fs)
        progress(f"writing the customisation layer for {arch}")
        img = extend_image(
            pimg,
            loaded,
            a,
            nodes,
            whiteouts,
            store,
            source=source,
            base=spec.extends or base,
            level=options.level,
        )
        return a, img

    with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(archs)))) as ex:
        built = list(ex.map(one, archs))
    images = [img for _, img in built]
    top: Image | ImageIndex = images[0] if len(images) == 1 else mutate.index(images)
    summary = {
        "epoch": built[0][0].epoch,
        "arches": [_summary(a, img).__dict__ for a, img in built],
        "sboms": [sboms.documents(a, lock.arches[a.arch], img, f"{spec.name}:{tag}") for a, img in built],
    }
    cache.put(cache_key, top, summary)
    return _finish(top, options, spec, tag, loaded, lock, summary, t0, {a.arch: a for a, _ in built})


def _finish(
    top: Image | ImageIndex,
    options: BuildOptions,
    spec: ImageSpec,
    tag: str,
    loaded: LoadedSpec,
    lock: ImageLock,
    summary: dict[str, Any],
    t0: float,
    assembled: dict[str, Assembled],
) -> BuildResult:
    outputs = list(options.outputs) or [LayoutRef(Path("out") / spec.name, tag)]
    written = []
    for out in outputs:
        write_image(top, out, platform=options.platform)
        if isinstance(out, LayoutRef):  # SBOMs travel with the image as OCI 1.1 artifacts
            sboms.attach(out.path, top, summary.get("sboms", []), int(summary["epoch"]))
        written.append(str(out))
    return BuildResult(
        name=spec.name,
        tag=tag,
        digest=str(top.digest()),
        spec=str(loaded.path),
        spec_digest=loaded.digest,
        source_date_epoch=int(summary["epoch"]),
        outputs=written,
        arches=[ArchResult(**r) for r in summary["arches"]],
        lock=lock,
        seconds=time.monotonic() - t0,
        image=top,
        assembled=assembled,
        sboms=list(summary.get("sboms", [])),
    )
