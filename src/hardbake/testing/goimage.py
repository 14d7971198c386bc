"""A shell-less test image holding one static Go program (`hbtest`), made without any base image.

The runtime tests need a process that hogs memory, burns CPU, forks, probes the filesystem
and serves HTTP, inside an image shaped like hardbake's own (numeric user 65532, no shell,
no package manager). Docker Hub is unreachable here and hardbake's builder may not be at
hand, so this module compiles `hbtest.go` (standard library only, CGO off, reproducible
flags), lays out a tiny rootfs tar in Python and hands it to the engine's import endpoint
(`docker import`). The image is tagged by a hash of everything that goes into it, so a
session builds it once and later sessions reuse it; a file lock keeps parallel test workers
from building it twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).with_name("hbtest.go")
REPOSITORY = "hardbake-test/hbtest"
BINARY = "/usr/local/bin/hbtest"
UID = 65532
#: Label put on every image and container the test kit makes, so cleanup can find them.
TEST_LABEL = "hardbake.test"

# /etc/passwd lines ("x": the password lives in no file at all).
_PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"  # noqa: S105
_GROUP = "root:x:0:\nnonroot:x:65532:\n"
_EPOCH = 1_700_000_000


@dataclass(frozen=True)
class GoImage:
    """The imported image: its tag, its engine image ID and the path of the program inside."""

    tag: str
    image_id: str
    binary: str = BINARY


def _go_env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CGO_ENABLED="0",
        GOFLAGS="-mod=mod",
        GOPROXY="off",
        GO111MODULE="off",
        GOOS="linux",
        GOCACHE=str(workdir / "gocache"),
        GOPATH=str(workdir / "gopath"),
        HOME=str(workdir),
    )
    return env


def _go_version() -> str:
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the Go toolchain is missing: install golang-go (scripts/system-deps)")
    return subprocess.run([go, "version"], check=True, capture_output=True, text=True).stdout.strip()


def compile_hbtest(out: Path) -> Path:
    """Compile hbtest.go into a static binary at `out` (reproducible: trimmed paths, no build id)."""
    with tempfile.TemporaryDirectory(prefix="hardbake-go-") as tmp:
        work = Path(tmp)
        shutil.copy(SOURCE, work / "main.go")
        subprocess.run(
            ["go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", str(out), "main.go"],
            cwd=work,
            env=_go_env(work),
            check=True,
            capture_output=True,
        )
    return out


def rootfs_tar(binary: bytes) -> bytes:
    """A minimal rootfs: /etc/passwd and /etc/group with nonroot 65532, /tmp, the program. No shell."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(
            name: str, *, data: bytes | None = None, mode: int, uid: int = 0, is_dir: bool = False
        ) -> None:
            info = tarfile.TarInfo(name)
            info.mtime = _EPOCH
            info.mode = mode
            info.uid = info.gid = uid
            if is_dir:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                assert data is not None
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

        for d in ("etc", "usr", "usr/local", "usr/local/bin", "home"):
            add(d, mode=0o755, is_dir=True)
        add("tmp", mode=0o1777, is_dir=True)
        add("home/nonroot", mode=0o700, uid=UID, is_dir=True)
        add("etc/passwd", data=_PASSWD.encode(), mode=0o644)
        add("etc/group", data=_GROUP.encode(), mode=0o644)
        add(BINARY.lstrip("/"), data=binary, mode=0o755)
    return buf.getvalue()


def _changes(extra: Sequence[str]) -> list[str]:
    return [
        f"USER {UID}:{UID}",
        f'ENTRYPOINT ["{BINARY}"]',
        'CMD ["sleep"]',
        "WORKDIR /home/nonroot",
        f"LABEL {TEST_LABEL}=1",
        *extra,
    ]


def _key(extra: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(SOURCE.read_bytes())
    h.update(_go_version().encode())
    h.update("\n".join(_changes(extra)).encode())
    return h.hexdigest()[:16]


def _lookup(client: Any, tag: str) -> str | None:
    import docker.errors

    try:
        image_id: str = client.images.get(tag).id
    except docker.errors.ImageNotFound:
        return None
    return image_id


def hbtest_image(client: Any, *, changes: Sequence[str] = (), name: str = REPOSITORY) -> GoImage:
    """The hbtest image in the engine behind `client`, built and imported if it is not there yet.

    `changes` are extra Dockerfile instructions for `docker import --change` (ENV, LABEL,
    CMD ...): they make variants that differ only in their config, each cached by its own tag.
    """
    key = _key(changes)
    tag = f"{name}:{key}"
    found = _lookup(client, tag)
    if found:
        return GoImage(tag, found)
    lock_path = Path(tempfile.gettempdir()) / f"hardbake-goimage-{key}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _lookup(client, tag)
        if found:
            return GoImage(tag, found)
        with tempfile.TemporaryDirectory(prefix="hardbake-hbtest-") as tmp:
            binary = compile_hbtest(Path(tmp) / "hbtest").read_bytes()
        repo, _, tag_part = tag.partition(":")
        client.api.import_image_from_data(
            rootfs_tar(binary), repository=repo, tag=tag_part, changes=_changes(changes)
        )
        found = _lookup(client, tag)
        if not found:
            raise RuntimeError(f"docker import did not produce {tag}")
        return GoImage(tag, found)


def remove_test_containers(client: Any, label_value: str | None = None) -> int:
    """Force-remove containers carrying the test label (optionally with one value); returns the count."""
    selector = TEST_LABEL if label_value is None else f"{TEST_LABEL}={label_value}"
    removed = 0
    for c in client.containers.list(all=True, filters={"label": selector}):
        c.remove(force=True)
        removed += 1
    return removed


def push_hbtest(client: Any, registry_host: str, *, repository: str = "hbtest", tag: str = "1") -> str:
    """Push the hbtest image to a (test) registry so the engine records its manifest digest.

    Returns `HOST/REPO:TAG`; `hardbake limits` then pins it as `HOST/REPO:TAG@sha256:...`.
    A variant of the image (its own label) is pushed, never the shared one: the engine keeps
    RepoDigests per image ID, and tests running in parallel rely on the shared image having none.
    """
    image = hbtest_image(client, changes=[f"LABEL dev.hardbake.pushed-as={repository}"])
    ref = f"{registry_host}/{repository}"
    client.images.get(image.tag).tag(ref, tag)
    for line in client.images.push(ref, tag, stream=True, decode=True):
        if "error" in line:
            raise RuntimeError(f"pushing {ref}:{tag} failed: {line['error']}")
    return f"{ref}:{tag}"
