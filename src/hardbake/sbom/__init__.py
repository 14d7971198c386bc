"""SBOMs: the package inventory of any image, SPDX 2.3 and CycloneDX 1.6 documents, and the
build-time SBOMs stored beside an image as OCI 1.1 artifacts. See docs/sbom.md.

    from hardbake.sbom import inventories, render
    (one,) = inventories("docker-archive:app.tar")          # host platform
    data = render(one.inventory, "spdx-json")               # bytes, validated

    from hardbake.sbom import build_sboms, attach_sboms     # in `hardbake build`

Names are imported on first use (PEP 562): the format libraries (spdx-tools, cyclonedx)
take a good part of a second to import, and `hardbake` should not pay for them on every
command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hardbake.sbom.attach import attach_documents, attach_sboms, find_sboms
    from hardbake.sbom.buildtime import BuildSboms, build_inventory, build_sboms
    from hardbake.sbom.formats import FORMATS, MEDIA_TYPES, render
    from hardbake.sbom.inventory import CATALOGERS, take_inventory
    from hardbake.sbom.model import Ecosystem, Exclusion, ImageInfo, Inventory, Licenses, OsInfo, Package
    from hardbake.sbom.source import ImageInventory, inventories, parse_platforms

_WHERE = {
    "attach_documents": "attach",
    "attach_sboms": "attach",
    "find_sboms": "attach",
    "BuildSboms": "buildtime",
    "build_inventory": "buildtime",
    "build_sboms": "buildtime",
    "FORMATS": "formats",
    "MEDIA_TYPES": "formats",
    "render": "formats",
    "CATALOGERS": "inventory",
    "take_inventory": "inventory",
    "Ecosystem": "model",
    "Exclusion": "model",
    "ImageInfo": "model",
    "Inventory": "model",
    "Licenses": "model",
    "OsInfo": "model",
    "Package": "model",
    "ImageInventory": "source",
    "inventories": "source",
    "parse_platforms": "source",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hardbake.sbom' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hardbake.sbom.{module}"), name)


__all__ = [
    "CATALOGERS",
    "FORMATS",
    "MEDIA_TYPES",
    "BuildSboms",
    "Ecosystem",
    "Exclusion",
    "ImageInfo",
    "ImageInventory",
    "Inventory",
    "Licenses",
    "OsInfo",
    "Package",
    "attach_documents",
    "attach_sboms",
    "build_inventory",
    "build_sboms",
    "find_sboms",
    "inventories",
    "parse_platforms",
    "render",
    "take_inventory",
]
