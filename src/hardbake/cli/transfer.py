"""What `push`, `pull` and `copy` share: options, the progress display, the report.

All three run `hardbake.attest.copy.copy_image`; they differ only in which side must be a
registry and which side `--username/--password` log in to.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from hardbake.attest.copy import CopyResult, copy_image
from hardbake.cli.output import dumps_json, emit, err, out
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.platform import Platform
from hardbake.oci.progress import Outcome, TransferProgress
from hardbake.oci.reference import ImageRef, RegistryRef
from hardbake.oci.registry import CredentialSource, resolve_credentials
from hardbake.oci.remote import RegistryAccess

INSECURE_HELP = "Allow plain HTTP to a non-loopback registry (loopback registries always may use it)."
PLATFORM_HELP = (
    "Copy only this platform's image (os/arch or os/arch/variant); default: the whole index, every platform. "
    "docker-archive: and docker-daemon: destinations take this platform, default this host's."
)
NO_REFERRERS_HELP = "Copy the image only, not its signatures, attestations and SBOMs."
JOBS_HELP = "Blobs moved at a time."


class RichTransfer(TransferProgress):
    """One bar per blob in flight (transient: the report says what happened)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def started(self, desc: Descriptor) -> None:
        with self._lock:
            self._tasks[str(desc.digest)] = self.progress.add_task(desc.digest.short, total=desc.size)

    def advanced(self, desc: Descriptor, done: int) -> None:
        task = self._tasks.get(str(desc.digest))
        if task is not None:
            self.progress.update(task, completed=done)

    def finished(self, desc: Descriptor, outcome: Outcome) -> None:
        with self._lock:
            task = self._tasks.pop(str(desc.digest), None)
        if task is not None:
            self.progress.remove_task(task)
        if outcome != "copied":
            err.print(f"  {desc.digest.short}: {'already there' if outcome == 'exists' else 'mounted'}")


def access_for(
    registry: RegistryRef | None, insecure: bool, username: str | None, password: str | None, jobs: int
) -> RegistryAccess:
    """Registry access; `--username/--password` apply to `registry` only (never sent elsewhere)."""
    creds: dict[str, CredentialSource] = {}
    if registry is not None and (username is not None or password is not None):
        creds[registry.registry] = resolve_credentials(registry.registry, username, password)
    return RegistryAccess(insecure=insecure, credentials=creds, workers=jobs)


def run(
    src: ImageRef,
    dst: ImageRef,
    access: RegistryAccess,
    *,
    platform: str | None,
    referrers: bool,
    jobs: int,
    fmt: str,
    output: Path | None,
) -> CopyResult:
    wanted = Platform.parse(platform) if platform else None
    with (
        access,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err,
            transient=True,
        ) as bars,
    ):
        result = copy_image(
            src,
            dst,
            access=access,
            platform=wanted,
            referrers=referrers,
            progress=RichTransfer(bars),
            workers=jobs,
        )
    render(result, fmt, output)
    return result


def render(result: CopyResult, fmt: str, output: Path | None) -> None:
    if fmt == "json":
        emit(dumps_json(result.to_json()), output)
        return
    blobs = result.blobs.blobs
    table = Table(title=f"{escape(result.source)} -> {escape(result.destination)}")
    for col in ("manifest", "media type", "platform"):
        table.add_column(col)
    for row in result.manifests:
        table.add_row(row["digest"], row["mediaType"].rsplit(".", 2)[-2], row.get("platform", ""))
    out.print(table)
    out.print(
        f"digest {result.descriptor.digest}; blobs: {blobs['copied']} copied "
        f"({result.blobs.bytes_copied:,} bytes), {blobs['exists']} already there, "
        f"{blobs['mounted']} mounted; {result.seconds:.1f} s",
        highlight=False,
    )
    if result.referrers:
        merged = sum(1 for r in result.referrers if r.merged)
        tags = sum(1 for r in result.referrers if r.kind == "tag")
        out.print(
            f"referrers: {tags} cosign tags, {len(result.referrers) - tags} OCI referrers"
            + (f" ({merged} merged into tags the destination had)" if merged else ""),
            highlight=False,
        )
    if result.referrers_skipped:
        err.print(f"[yellow]note:[/] {escape(result.referrers_skipped)}")
