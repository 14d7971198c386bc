"""SPDX 2.3 JSON from an inventory, built and validated with spdx-tools (the SPDX project's library).

Shape:
- the image is a package (`SPDXRef-Image`, purpose CONTAINER, a `pkg:oci` purl, its digest
  as SHA-256 checksum); the document DESCRIBES it; the OS from os-release is a package
  (purpose OPERATING_SYSTEM) the image CONTAINS;
- every package is a package the image CONTAINS, with its purl (external reference
  PACKAGE-MANAGER purl), declared licence, supplier, and where it was found (`sourceInfo`:
  the file read and the layer's diff_id); partially kept packages say so in `comment`;
  a deb that installed a language package CONTAINS it too;
- packages left out on purpose are NOT listed as packages (scanners would take them as
  present): each is an annotation on the image package, `excluded: <purl>: <reason>`.

Licences: the SPDX expression when every declared name maps; otherwise each unmapped name
becomes `LicenseRef-<name>` with an extracted-licensing-info entry saying where the text is.

Determinism: the namespace is a UUIDv5 of (image identity, platform, content hash of the
inventory), `created` is the image's SOURCE_DATE_EPOCH; the same inventory gives the same
bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import re
import uuid
from typing import Any

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.annotation import Annotation, AnnotationType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from hardbake import __version__
from hardbake.errors import Error
from hardbake.sbom import licenses, purl
from hardbake.sbom.model import Inventory
from hardbake.sbom.model import Package as Pkg

MEDIA_TYPE = "application/spdx+json"
NAMESPACE_BASE = "https://spdx.org/spdxdocs/hardbake"
_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]+")
_PERSON = re.compile(r"^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$")
_NS = uuid.UUID("7c1b4a3e-6f0e-5d7a-9b8c-2f1e0d3c4b5a")


class SbomError(Error):
    """hardbake made a document its format's library refuses: a bug, reported as such."""

    exit_code = 3


def _ref(text: str) -> str:
    return _ID_CHARS.sub("-", text).strip("-") or "x"


def license_ref(name: str) -> str:
    return f"LicenseRef-{_ref(name)}"


def content_hash(inv: Inventory) -> str:
    return hashlib.sha256(json.dumps(inv.to_json(), sort_keys=True).encode()).hexdigest()


def document_uuid(inv: Inventory, kind: str) -> uuid.UUID:
    """Same inventory, same UUID: image identity, platform, origin and content."""
    return uuid.uuid5(_NS, f"{kind}\n{inv.image.identity}\n{inv.image.platform}\n{content_hash(inv)}")


def created(inv: Inventory) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(inv.image.created, _dt.UTC).replace(tzinfo=None)


def _supplier(text: str | None) -> Actor | SpdxNoAssertion:
    if not text:
        return SpdxNoAssertion()
    m = _PERSON.match(text)
    if m and m[1]:
        return Actor(ActorType.ORGANIZATION, m[1], m[2])
    return Actor(ActorType.ORGANIZATION, text.strip())


def _declared(p: Pkg, extracted: dict[str, str]) -> Any:
    """A license-expression object (spdx-tools' type) or NOASSERTION."""
    if p.licenses.expression:
        return spdx_licensing.parse(p.licenses.expression)
    if not p.licenses.declared:
        return SpdxNoAssertion()
    parts = []
    for name in p.licenses.declared:
        spdx = licenses.to_spdx(name)
        if spdx is None:
            ref = license_ref(name)
            extracted.setdefault(ref, name)
            spdx = ref
        parts.append(f"({spdx})" if " " in spdx else spdx)
    return spdx_licensing.parse(" AND ".join(dict.fromkeys(parts)))


def _source_info(p: Pkg) -> str:
    text = f"read from {p.found_at}"
    if p.layer is not None:
        text += f" in layer {p.layer}" + (f" ({p.layer_diff_id})" if p.layer_diff_id else "")
    if p.source and (p.source, p.source_version) != (p.name, p.version):
        text = f"source package {p.source} {p.source_version}; " + text
    return text


def _comment(p: Pkg) -> str | None:
    notes = []
    if p.presence == "partial":
        notes.append(f"partially present: {p.files_present} of {p.files} files are in the image")
    if p.owner:
        notes.append(f"installed by {p.owner}")
    notes += [f"{k}={v}" for k, v in p.properties]
    return "; ".join(notes) or None


def build_document(inv: Inventory) -> Document:
    when = created(inv)
    tool = Actor(ActorType.TOOL, f"hardbake-{__version__}")
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"{inv.image.name} ({inv.image.platform})",
        document_namespace=f"{NAMESPACE_BASE}/{_ref(inv.image.name)}-{document_uuid(inv, 'spdx')}",
        creators=[tool],
        created=when,
        creator_comment=f"hardbake inventory from {'the build lock' if inv.origin == 'build' else 'image files'}",
    )
    image_id = "SPDXRef-Image"
    digest = inv.image.identity
    arch = inv.image.platform.split("/")[1] if "/" in inv.image.platform else None
    image_pkg = Package(
        image_id,
        inv.image.name,
        SpdxNoAssertion(),
        version=digest,
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, digest.split(":", 1)[1])],
        external_references=[
            ExternalPackageRef(
                ExternalPackageRefCategory.PACKAGE_MANAGER,
                "purl",
                purl.oci(
                    inv.image.name.rsplit("/", 1)[-1].split(":")[0].split("@")[0] or "image", digest, arch
                ),
            )
        ],
        primary_package_purpose=PackagePurpose.CONTAINER,
        comment=f"platform {inv.image.platform}"
        + (f"; image id {inv.image.image_id}" if inv.image.image_id else ""),
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
    )
    packages = [image_pkg]
    rels = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, image_id)]
    if inv.os is not None:
        packages.append(
            Package(
                "SPDXRef-OperatingSystem",
                inv.os.id,
                SpdxNoAssertion(),
                version=inv.os.version_id or inv.os.codename,
                files_analyzed=False,
                primary_package_purpose=PackagePurpose.OPERATING_SYSTEM,
                description=inv.os.pretty_name,
                license_concluded=SpdxNoAssertion(),
                license_declared=SpdxNoAssertion(),
                copyright_text=SpdxNoAssertion(),
            )
        )
        rels.append(Relationship(image_id, RelationshipType.CONTAINS, "SPDXRef-OperatingSystem"))
    extracted: dict[str, str] = {}
    ids: dict[str, str] = {}
    for p in inv.packages:
        sid = f"SPDXRef-Package-{p.ecosystem.value}-{_ref(p.name)}-{hashlib.sha256(repr(p.key).encode()).hexdigest()[:12]}"
        ids.setdefault(p.purl, sid)
        packages.append(
            Package(
                sid,
                p.name,
                SpdxNoAssertion(),
                version=p.version,
                supplier=_supplier(p.supplier),
                files_analyzed=False,
                source_info=_source_info(p),
                license_concluded=SpdxNoAssertion(),
                license_declared=_declared(p, extracted),
                copyright_text=SpdxNoAssertion(),
                comment=_comment(p),
                external_references=[
                    ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", p.purl)
                ],
            )
        )
        rels.append(Relationship(image_id, RelationshipType.CONTAINS, sid))
    for p, spdx_pkg in zip(inv.packages, packages[len(packages) - len(inv.packages) :], strict=True):
        if p.owner and p.owner in ids:
            rels.append(Relationship(ids[p.owner], RelationshipType.CONTAINS, spdx_pkg.spdx_id))
    annotations = [
        Annotation(
            image_id,
            AnnotationType.OTHER,
            tool,
            when,
            f"excluded: {e.purl or e.name}{' ' + e.version if e.version and not e.purl else ''}: {e.reason}"
            + (f" (dependency of {', '.join(e.cut_from)} cut)" if e.cut_from else ""),
        )
        for e in inv.excluded
    ]
    annotations += [
        Annotation(image_id, AnnotationType.OTHER, tool, when, f"warning: {w}") for w in inv.warnings
    ]
    return Document(
        info,
        packages=packages,
        relationships=rels,
        annotations=annotations,
        extracted_licensing_info=[
            ExtractedLicensingInfo(
                ref,
                f"The package declares the licence {name!r}, which has no SPDX identifier; "
                "its text is in the package's own copyright or licence file.",
                name,
            )
            for ref, name in sorted(extracted.items())
        ],
    )


def validate(doc: Document) -> None:
    errors = validate_full_spdx_document(doc)
    if errors:
        shown = "; ".join(e.validation_message for e in errors[:5])
        raise SbomError(f"hardbake produced an invalid SPDX document ({len(errors)} errors): {shown}")


def render(inv: Inventory) -> bytes:
    """The SPDX 2.3 JSON document, validated."""
    doc = build_document(inv)
    validate(doc)
    out = io.StringIO()
    write_document_to_stream(doc, out, validate=False)
    return out.getvalue().encode() + b"\n"
