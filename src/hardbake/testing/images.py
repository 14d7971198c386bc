"""Images for tests: random ones (go-containerregistry's `random.Image`) and a real one
that runs — a static Go binary compiled from the standard library only."""

from __future__ import annotations

import io
import os
import random as _random
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hardbake.oci import mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.config import ContainerConfig, History, ImageConfig, rfc3339
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.layer import BlobLayer, compress_layer, write_layers
from hardbake.oci.platform import Platform
from hardbake.oci.tarentry import TarEntry

EPOCH = 1_700_000_000

GO_UID_PROGRAM = """package main

import (
\t"fmt"
\t"os"
\t"strings"
)

// Prints the uid and gid it runs as, then for each argument: rm:PATH removes PATH,
// mkdir:PATH makes a directory, write:PATH writes "written" to PATH, anything else is a
// file whose contents it prints.
func main() {
\tfmt.Printf("uid=%d gid=%d\\n", os.Getuid(), os.Getgid())
\tfor _, arg := range os.Args[1:] {
\t\tvar err error
\t\tswitch {
\t\tcase strings.HasPrefix(arg, "rm:"):
\t\t\terr = os.RemoveAll(arg[3:])
\t\tcase strings.HasPrefix(arg, "mkdir:"):
\t\t\terr = os.Mkdir(arg[6:], 0o755)
\t\tcase strings.HasPrefix(arg, "write:"):
\t\t\terr = os.WriteFile(arg[6:], []byte("written\\n"), 0o644)
\t\tdefault:
\t\t\tvar data []byte
\t\t\tdata, err = os.ReadFile(arg)
\t\t\tfmt.Print(string(data))
\t\t}
\t\tif err != nil {
\t\t\tfmt.Printf("error: %v\\n", err)
\t\t\tos.Exit(3)
\t\t}
\t}
}
"""


def random_entries(rng: _random.Random, files: int, *, max_size: int, prefix: str) -> list[TarEntry]:
    """`files` random files (with their directories) under `prefix`, plus a symlink."""
    entries = [TarEntry.dir(prefix, mtime=EPOCH)]
    dirs = [prefix]
    for i in range(files):
        if rng.random() < 0.3:
            d = f"{rng.choice(dirs)}/d{i}"
            dirs.append(d)
            entries.append(TarEntry.dir(d, mode=rng.choice([0o755, 0o700, 0o1777]), mtime=EPOCH))
        size = rng.randrange(max_size + 1)
        entries.append(
            TarEntry.file(
                f"{rng.choice(dirs)}/f{i}",
                rng.randbytes(size),
                mode=rng.choice([0o644, 0o600, 0o755, 0o4755]),
                uid=rng.choice([0, 65532]),
                gid=rng.choice([0, 65532]),
                mtime=EPOCH,
            )
        )
    entries.append(TarEntry.symlink(f"{prefix}/link", "f0", mtime=EPOCH))
    return entries


def random_image(
    store: BlobStore | Path,
    *,
    layers: int = 3,
    files: int = 6,
    max_size: int = 4096,
    seed: int = 0,
    platform: Platform | None = None,
) -> Image:
    """An image of `layers` random layers written into `store` (a BlobStore or directory).

    Same arguments, same image digest: the seed drives everything."""
    if not isinstance(store, BlobStore):
        store = BlobStore(Path(store), fsync=False)
    platform = platform or Platform("linux", "amd64")
    rng = _random.Random(f"{seed}/{platform}")  # noqa: S311 - seeded test data, on purpose
    contents = [random_entries(rng, files, max_size=max_size, prefix=f"layer{i}") for i in range(layers)]
    written = write_layers(contents, store, source_date_epoch=EPOCH)
    config = ImageConfig.for_platform(
        platform,
        created=rfc3339(EPOCH),
        config=ContainerConfig(user="65532:65532", env=("PATH=/usr/bin:/bin",), cmd=("/layer0/f0",)),
    )
    base = mutate.from_parts(config, ())
    history = [History(created=rfc3339(EPOCH), created_by=f"random layer {i}") for i in range(layers)]
    return mutate.append_layers(base, written, history)


def random_index(store: BlobStore | Path, platforms: tuple[Platform, ...] = (), **kw: int) -> ImageIndex:
    """An index with one random image per platform (default linux/amd64 and linux/arm64/v8)."""
    platforms = platforms or (Platform("linux", "amd64"), Platform("linux", "arm64", "v8"))
    return mutate.index([random_image(store, platform=p, **kw) for p in platforms])


def build_go_binary(out: Path, source: str = GO_UID_PROGRAM, *, goarch: str = "amd64") -> Path:
    """Compile `source` into a static binary at `out` (stdlib only, no network)."""
    if shutil.which("go") is None:
        raise RuntimeError("go is not installed: run scripts/system-deps (golang-go)")
    with tempfile.TemporaryDirectory(prefix="hardbake-go-") as tmp:
        src = Path(tmp) / "main.go"
        src.write_text(source)
        (Path(tmp) / "go.mod").write_text("module hardbaketest\n\ngo 1.19\n")
        env = {
            **os.environ,
            "CGO_ENABLED": "0",
            "GOFLAGS": "-mod=mod",
            "GOPROXY": "off",
            "GOARCH": goarch,
            "GOOS": "linux",
            "GOCACHE": os.environ.get("GOCACHE", str(Path(tempfile.gettempdir()) / "hardbake-gocache")),
            "GOPATH": str(Path(tmp) / "gopath"),
        }
        subprocess.run(
            ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "."],
            cwd=tmp,
            env=env,
            check=True,
            capture_output=True,
        )
    return out


def binary_image(
    store: BlobStore | Path, binary: Path, *, user: str = "65532:65532", platform: Platform | None = None
) -> Image:
    """A one-binary image: /app (the binary, 0755), /tmp (1777), /etc/hello (a file to read)."""
    if not isinstance(store, BlobStore):
        store = BlobStore(Path(store), fsync=False)
    platform = platform or Platform.host()
    entries = [
        TarEntry.file("app", binary, mode=0o755, mtime=EPOCH),
        TarEntry.dir("etc", mtime=EPOCH),
        TarEntry.file("etc/hello", b"hello from hardbake\n", mtime=EPOCH),
        TarEntry.dir("tmp", mode=0o1777, mtime=EPOCH),
    ]
    (layer,) = write_layers([entries], store, source_date_epoch=EPOCH)
    config = ImageConfig.for_platform(
        platform, created=rfc3339(EPOCH), config=ContainerConfig(user=user, entrypoint=("/app",))
    )
    return mutate.append_layers(mutate.from_parts(config, ()), [layer], [History(created=rfc3339(EPOCH))])


# -- crafted layers (for bad-input tests): written by Python's tarfile, not by hardbake ------
def tar_member(
    name: str, kind: bytes = tarfile.REGTYPE, *, mode: int = 0o644, linkname: str = "", uid: int = 0
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.uid = uid
    info.mtime = EPOCH
    return info


def tar_bytes(
    members: Sequence[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.PAX_FORMAT
) -> bytes:
    """A tar of exactly these members, in this order (data None: no data)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def layer_from_tar(store: BlobStore, tar: bytes) -> BlobLayer:
    """A gzip layer holding exactly `tar` (however malformed its entries are)."""
    return compress_layer(io.BytesIO(tar), store)


def image_of(layers: Sequence[BlobLayer], platform: Platform | None = None) -> Image:
    """An image of these layers with a minimal config."""
    base = mutate.empty_image(platform or Platform("linux", "amd64"), created=rfc3339(EPOCH))
    return mutate.append_layers(base, list(layers))
