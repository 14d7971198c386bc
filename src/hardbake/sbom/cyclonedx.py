"""CycloneDX 1.6 JSON from an inventory, built and validated with cyclonedx-python-lib (OWASP's).

Shape:
- `metadata.component` is the image (type container, `pkg:oci` purl, platform and image id
  as properties); `metadata.timestamp` is the image's SOURCE_DATE_EPOCH; the tool is hardbake;
- the OS from os-release is a component of type operating-system;
- every package is a library component (the main module of a Go binary: application) with
  its purl, licences (an SPDX expression, or one licence per declared name: `id` when it is
  an SPDX id, else `name`), supplier, and properties `hardbake:found-at`, `hardbake:layer`,
  `hardbake:layer:diff_id`, `hardbake:deb:source`, `hardbake:presence`, `hardbake:owner`;
- packages left out on purpose are components with `scope: excluded` and the property
  `hardbake:excluded:reason` — CycloneDX's own way to say "not in the product";
- `dependencies`: the image depends on everything present.

Determinism: the serial number is a UUIDv5 of the inventory (see `spdx.document_uuid`),
bom-refs are derived from purls; the library sorts components and properties.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentScope, ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from hardbake import __version__
from hardbake.sbom import licenses, purl
from hardbake.sbom.model import Ecosystem, Inventory, Package
from hardbake.sbom.spdx import SbomError, created, document_uuid

MEDIA_TYPE = "application/vnd.cyclonedx+json"


def _licenses(p: Package) -> list[License]:
    if p.licenses.expression:
        return [LicenseExpression(p.licenses.expression)]
    out: list[License] = []
    for name in p.licenses.declared:
        spdx = licenses.to_spdx(name)
        if spdx is not None and " " not in spdx:
            out.append(DisjunctiveLicense(id=spdx))
        else:
            out.append(DisjunctiveLicense(name=name))
    return out


def _props(p: Package) -> list[Property]:
    props = [Property(name="hardbake:found-at", value=p.found_at)]
    if p.layer is not None:
        props.append(Property(name="hardbake:layer", value=str(p.layer)))
    if p.layer_diff_id:
        props.append(Property(name="hardbake:layer:diff_id", value=p.layer_diff_id))
    if p.ecosystem in (Ecosystem.deb, Ecosystem.apk) and p.source:
        props.append(Property(name=f"hardbake:{p.ecosystem.value}:source", value=p.source))
        props.append(
            Property(name=f"hardbake:{p.ecosystem.value}:source_version", value=p.source_version or "")
        )
    if p.presence == "partial":
        props.append(
            Property(name="hardbake:presence", value=f"partial: {p.files_present} of {p.files} files")
        )
    if p.owner:
        props.append(Property(name="hardbake:owner", value=p.owner))
    props += [Property(name=k, value=v) for k, v in p.properties]
    return props


def _ref(purl_text: str, taken: set[str], salt: str) -> str:
    if purl_text not in taken:
        taken.add(purl_text)
        return purl_text
    ref = f"{purl_text}#{hashlib.sha256(salt.encode()).hexdigest()[:12]}"
    taken.add(ref)
    return ref


def build_bom(inv: Inventory) -> Bom:
    digest = inv.image.identity
    arch = inv.image.platform.split("/")[1] if "/" in inv.image.platform else None
    short = inv.image.name.rsplit("/", 1)[-1].split(":")[0].split("@")[0] or "image"
    image = Component(
        name=inv.image.name,
        version=digest,
        type=ComponentType.CONTAINER,
        bom_ref="image",
        purl=PackageURL.from_string(purl.oci(short, digest, arch)),
        properties=[
            Property(name="hardbake:platform", value=inv.image.platform),
            *(Property(name="hardbake:image-id", value=i) for i in (inv.image.image_id,) if i),
            Property(name="hardbake:origin", value=inv.origin),
            *(Property(name="hardbake:warning", value=w) for w in inv.warnings),
        ],
    )
    tools = ToolRepository(
        components=[Component(name="hardbake", version=__version__, type=ComponentType.APPLICATION)]
    )
    bom = Bom(
        serial_number=document_uuid(inv, "cyclonedx"),
        metadata=BomMetaData(tools=tools, component=image, timestamp=created(inv).replace(tzinfo=_dt.UTC)),
    )
    present: list[Component] = []
    if inv.os is not None:
        os_c = Component(
            name=inv.os.id,
            version=inv.os.version_id or inv.os.codename,
            type=ComponentType.OPERATING_SYSTEM,
            bom_ref=f"os:{inv.os.id}",
            description=inv.os.pretty_name,
        )
        present.append(os_c)
    taken: set[str] = set()
    for p in inv.packages:
        is_app = p.ecosystem is Ecosystem.golang and any(
            k == "hardbake:go:toolchain" for k, _ in p.properties
        )
        present.append(
            Component(
                name=p.name,
                version=p.version,
                type=ComponentType.APPLICATION if is_app else ComponentType.LIBRARY,
                bom_ref=_ref(p.purl, taken, repr(p.key)),
                purl=PackageURL.from_string(p.purl),
                licenses=_licenses(p),
                supplier=OrganizationalEntity(name=p.supplier) if p.supplier else None,
                properties=_props(p),
            )
        )
    for c in present:
        bom.components.add(c)
    for e in inv.excluded:
        bom.components.add(
            Component(
                name=e.name,
                version=e.version,
                type=ComponentType.LIBRARY,
                scope=ComponentScope.EXCLUDED,
                bom_ref=_ref(f"excluded:{e.purl or e.name}", taken, e.name),
                purl=PackageURL.from_string(e.purl) if e.purl else None,
                properties=[
                    Property(name="hardbake:excluded:reason", value=e.reason),
                    *(Property(name="hardbake:excluded:cut-from", value=c) for c in e.cut_from),
                ],
            )
        )
    bom.register_dependency(image, present)
    return bom


def validate(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise SbomError(f"hardbake produced an invalid CycloneDX 1.6 document: {error}")


def render(inv: Inventory) -> bytes:
    """The CycloneDX 1.6 JSON document, validated against the 1.6 schema."""
    text = JsonV1Dot6(build_bom(inv)).output_as_string(indent=2)
    validate(text)
    # re-serialise with sorted keys: the library's key order is stable, this makes it explicit
    return (json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
