"""From an assembled root filesystem to an OCI image: entries, layers, config, labels.

Everything here is deterministic: entries come from the tree (sorted by the layer writer),
mtimes are already clamped to SOURCE_DATE_EPOCH, owners are written as numbers plus the
image's own user and group names, and the config's `created` is SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from hardbake import __version__, paths
from hardbake import distro as distros
from hardbake.build.assemble import Assembled
from hardbake.build.layers import LayerCache
from hardbake.build.rootfs import Node
from hardbake.oci import (
    BlobStore,
    ContainerConfig,
    History,
    ImageConfig,
    Platform,
    mutate,
    rfc3339,
)
from hardbake.oci.image import Image, Layer
from hardbake.oci.tarentry import TarEntry
from hardbake.spec.load import LoadedSpec

LABEL_PREFIX = "dev.hardbake"


def entries(a: Assembled, nodes: Sequence[Node] | None = None) -> list[TarEntry]:
    users = {u.uid: u.name for u in a.db.users}
    groups = {g.gid: g.name for g in a.db.groups}
    group = list(nodes) if nodes is not None else a.fs.nodes()
    in_group = {n.path for n in group}
    out: list[TarEntry] = []
    for n in group:
        owner = {
            "uid": n.uid,
            "gid": n.gid,
            "uname": users.get(n.uid, ""),
            "gname": groups.get(n.gid, ""),
            "mtime": n.mtime,
        }
        if n.kind == "dir":
            out.append(TarEntry.dir(n.path, mode=n.mode, **owner))  # type: ignore[arg-type]
        elif n.kind == "file":
            out.append(TarEntry.file(n.path, n.data or b"", mode=n.mode, **owner))  # type: ignore[arg-type]
        elif n.kind == "symlink":
            out.append(TarEntry.symlink(n.path, n.target or "", **owner))  # type: ignore[arg-type]
        elif n.target in in_group:  # a second name for a file of this layer
            out.append(TarEntry.hardlink(n.path, n.target or "", mtime=n.mtime))
        else:  # its first name lives in another layer: a tar link cannot cross layers
            out.append(TarEntry.file(n.path, n.data or b"", mode=n.mode, **owner))  # type: ignore[arg-type]
    return out


def labels(loaded: LoadedSpec, a: Assembled, *, source: str, base: str) -> dict[str, str]:
    spec = loaded.spec
    d = distros.get(spec.distro)
    out = {
        "org.opencontainers.image.title": spec.name,
        "org.opencontainers.image.created": rfc3339(a.epoch),
        "org.opencontainers.image.source": source,
        "org.opencontainers.image.revision": loaded.digest,
        "org.opencontainers.image.base.name": base,
        "org.opencontainers.image.vendor": "hardbake",
        f"{LABEL_PREFIX}.variant": spec.variant.value,
        f"{LABEL_PREFIX}.distro": d.name,
        f"{LABEL_PREFIX}.spec-digest": loaded.digest,
        f"{LABEL_PREFIX}.builder": f"hardbake {__version__.split('+')[0]}",
    }
    if spec.version:
        out["org.opencontainers.image.version"] = spec.version
    out.update(spec.labels)
    return out


def container_config(loaded: LoadedSpec, a: Assembled, image_labels: dict[str, str]) -> ContainerConfig:
    spec = loaded.spec
    ports = tuple(p if "/" in p else f"{p}/tcp" for p in spec.ports)
    return ContainerConfig(
        user=a.user,
        env=tuple(f"{k}={v}" for k, v in a.env.items()),
        entrypoint=tuple(spec.entrypoint) if spec.entrypoint is not None else None,
        cmd=tuple(spec.cmd) if spec.cmd is not None else None,
        working_dir=spec.workdir or a.home,
        exposed_ports=ports,
        labels=image_labels,
        volumes=tuple(spec.volumes),
        stop_signal=spec.stop_signal,
    )


def make_image(
    loaded: LoadedSpec,
    a: Assembled,
    store: BlobStore,
    *,
    source: str,
    base: str,
    layer_groups: Sequence[Sequence[Node]] | None = None,
    level: int | None = None,
    cache: LayerCache | None = None,
) -> Image:
    """Write the layers into `store` (through the layer cache) and return the image."""
    groups = layer_groups if layer_groups is not None else [a.fs.nodes()]
    cache = cache or LayerCache(paths.cache_dir() / "layers", store)
    layers: list[Layer] = list(cache.write([entries(a, g) for g in groups], epoch=a.epoch, level=level))
    image_labels = labels(loaded, a, source=source, base=base)
    created = rfc3339(a.epoch)
    config = ImageConfig.for_platform(
        Platform.from_debian(a.arch), created=created, config=container_config(loaded, a, image_labels)
    )
    history = [
        History(
            created=created, created_by=f"hardbake build ({loaded.spec.name}, layer {i + 1}/{len(layers)})"
        )
        for i in range(len(layers))
    ]
    annotations = {k: v for k, v in image_labels.items() if k.startswith("org.opencontainers.image.")}
    annotations.update(loaded.spec.annotations)  # the spec's own manifest annotations
    return mutate.image(config, layers, history=history, annotations=annotations)


def extend_image(
    parent: Image,
    loaded: LoadedSpec,
    a: Assembled,
    nodes: Sequence[Node],
    whiteouts: Sequence[str],
    store: BlobStore,
    *,
    source: str,
    base: str,
    level: int | None = None,
) -> Image:
    """`parent`'s layers untouched, one more layer with the customisation, the child's config."""
    layer_entries = entries(a, nodes) + [TarEntry.whiteout(p, mtime=a.epoch) for p in whiteouts]
    layer = LayerCache(paths.cache_dir() / "layers", store).write(
        [layer_entries], epoch=a.epoch, level=level
    )[0]
    created = rfc3339(a.epoch)
    img = mutate.append_layers(
        parent,
        [layer],
        [History(created=created, created_by=f"hardbake build ({loaded.spec.name}, customisation)")],
    )
    image_labels = labels(loaded, a, source=source, base=base)
    image_labels["org.opencontainers.image.base.digest"] = str(parent.digest())
    img = mutate.with_config(
        img, replace(img.config(), created=created, config=container_config(loaded, a, image_labels))
    )
    annotations = {k: v for k, v in image_labels.items() if k.startswith("org.opencontainers.image.")}
    annotations.update(loaded.spec.annotations)  # the spec's own manifest annotations
    return mutate.with_annotations(img, annotations)
