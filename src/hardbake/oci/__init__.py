"""OCI images: value types, deterministic layers, and sources/sinks named for where bytes live.

The public surface (see docs/oci.md):

- value types: `Digest`, `Descriptor`, `Platform`, `ImageConfig`, `ContainerConfig`,
  `History`, `Manifest`, `Index`, media types in `hardbake.oci.mediatype`
- layers: `TarEntry`, `write_layer`, `write_layers`, `BlobStore`
- images: `Image`, `ImageIndex`, `Layer` (interfaces); `hardbake.oci.mutate` to make new ones
- sources and sinks: `hardbake.oci.layout`, `.archive`, `.daemon`, and over any reference
  `open_image`, `open_any`, `write_image`
- reading an image's files: `Filesystem.scan(image)`, then `open_files(...)`
- checking: `validate_image`, `validate_index`
"""

from hardbake.oci.blobs import BlobStore
from hardbake.oci.config import ContainerConfig, History, ImageConfig, rfc3339
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.filesystem import Capture, EntryKind, FileInfo, Filesystem
from hardbake.oci.image import Image, ImageIndex, Layer
from hardbake.oci.layer import DEFAULT_LEVEL, BlobLayer, compress_layer, write_layer, write_layers
from hardbake.oci.manifest import Index, Manifest
from hardbake.oci.platform import Platform
from hardbake.oci.tarentry import Kind, TarEntry
from hardbake.oci.transport import open_any, open_image, select, write_image
from hardbake.oci.validate import validate_image, validate_index

__all__ = [
    "DEFAULT_LEVEL",
    "BlobLayer",
    "BlobStore",
    "Capture",
    "ContainerConfig",
    "Descriptor",
    "Digest",
    "DigestMismatch",
    "EntryKind",
    "FileInfo",
    "Filesystem",
    "History",
    "Image",
    "ImageConfig",
    "ImageError",
    "ImageIndex",
    "Index",
    "Kind",
    "Layer",
    "Manifest",
    "Platform",
    "TarEntry",
    "compress_layer",
    "open_any",
    "open_image",
    "rfc3339",
    "select",
    "validate_image",
    "validate_index",
    "write_image",
    "write_layer",
    "write_layers",
]
