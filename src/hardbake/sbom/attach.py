"""SBOMs stored beside their image in an OCI layout, as OCI 1.1 artifacts that refer to it.

Each document is one artifact manifest: `artifactType` the document's media type
(`application/spdx+json`, `application/vnd.cyclonedx+json`), the empty config, the
document as its only layer, and `subject` the image manifest — what `oras discover`,
`cosign` and registries with the referrers API list as the image's referrers, and what the
signing code attests. The artifact is added untagged; `Layout(dir).referrers(digest)` finds
it. Annotations carry the creation time (the image's SOURCE_DATE_EPOCH), so re-running a
build re-adds the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hardbake.oci import layout, mutate
from hardbake.oci import mediatype as mt
from hardbake.oci.config import rfc3339
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.image import Image
from hardbake.sbom.buildtime import BuildSboms
from hardbake.sbom.cyclonedx import MEDIA_TYPE as CYCLONEDX
from hardbake.sbom.spdx import MEDIA_TYPE as SPDX

_TITLES = {SPDX: "sbom.spdx.json", CYCLONEDX: "sbom.cdx.json"}


def _subject(subject: Descriptor | Image) -> Descriptor:
    d = subject.descriptor() if isinstance(subject, Image) else subject
    return Descriptor(d.media_type, d.digest, d.size)


def attach_documents(
    layout_dir: Path, subject: Descriptor | Image, documents: Mapping[str, bytes], *, created: int
) -> dict[str, Descriptor]:
    """Store each (media type -> bytes) document as an artifact referring to `subject`."""
    subj = _subject(subject)
    out = {}
    for media_type, data in sorted(documents.items()):
        blob_annotations = {mt.TITLE: _TITLES.get(media_type, "sbom.json")}
        art = mutate.artifact(
            media_type,
            [mutate.Blob(media_type, data, blob_annotations)],
            subject=subj,
            annotations={mt.CREATED: rfc3339(created)},
        )
        out[media_type] = layout.write(Path(layout_dir), art)
    return out


def attach_sboms(
    layout_dir: Path, subject: Descriptor | Image, sboms: BuildSboms
) -> tuple[Descriptor, Descriptor]:
    """Store the SPDX and the CycloneDX document of a build; returns their descriptors
    (SPDX first)."""
    got = attach_documents(
        layout_dir,
        subject,
        {SPDX: sboms.spdx, CYCLONEDX: sboms.cyclonedx},
        created=sboms.inventory.image.created,
    )
    return got[SPDX], got[CYCLONEDX]


def find_sboms(layout_dir: Path, subject: Digest | str) -> dict[str, list[Descriptor]]:
    """The SBOM artifacts in a layout that refer to `subject`, by media type."""
    digest = subject if isinstance(subject, Digest) else Digest.parse(str(subject))
    lay = layout.Layout(Path(layout_dir))
    return {m: lay.referrers(digest, m) for m in (SPDX, CYCLONEDX)}
