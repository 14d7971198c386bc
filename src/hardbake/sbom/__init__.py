"""SBOMs: the package inventory of any image, SPDX 2.3 and CycloneDX 1.6 documents, and the
build-time SBOMs stored beside an image as OCI 1.1 artifacts. See docs/sbom.md.

    from hardbake.sbom import inventories, render
    (one,) = inventories("docker-archive:app.tar")          # host platform
    data = render(one.inventory, "spdx-json")               # bytes, validated

    from hardbake.sbom import build_sboms, attach_sboms     # in `hardbake build`
"""

from hardbake.sbom.attach import attach_documents, attach_sboms, find_sboms
from hardbake.sbom.buildtime import BuildSboms, build_inventory, build_sboms
from hardbake.sbom.formats import FORMATS, MEDIA_TYPES, render
from hardbake.sbom.inventory import CATALOGERS, take_inventory
from hardbake.sbom.model import (
    Ecosystem,
    Exclusion,
    ImageInfo,
    Inventory,
    Licenses,
    OsInfo,
    Package,
)
from hardbake.sbom.source import ImageInventory, inventories, parse_platforms

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
