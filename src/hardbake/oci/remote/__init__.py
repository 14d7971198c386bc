"""Images in a registry: `read` (lazy and verified) and `write` (exists, mount, upload, manifests).

The source and sink for `HOST/REPO:TAG` references, on top of the distribution client in
`hardbake.oci.registry` (which owns HTTP, auth, retries and resumable uploads):

- `read(ref, access)` fetches the manifest (checked against the digest it was asked by, or
  the registry's `Docker-Content-Digest` for a tag) and returns a `RemoteImage` or
  `RemoteIndex`. Blobs are fetched only when read, as streams that resume after a lost
  connection and are checked against digest and size at their end. With `cache=True`
  (what `open_image` uses) a blob read to its end is kept in a temporary directory until
  the image is closed, so a second pass over the layers reads local files.
- `write(obj, ref, access)` pushes an image, an artifact or a whole index: every blob first,
  several at a time (skipped when the repository has it, mounted when the source is another
  repository of the same registry, else uploaded: chunked and resumable above the chunk
  size), then the child manifests by digest, then the top manifest under the tag. A
  manifest with a `subject` lands in the subject's referrers (the client keeps the
  `sha256-<hex>` fallback index on registries without the referrers API).

`RegistryAccess` says how to reach registries (credentials, `--insecure`, retries, chunk
size, parallelism) and pools one client per registry over one HTTP connection pool.
"""

from hardbake.oci.remote.access import DEFAULT_CHUNK, RegistryAccess, api_host
from hardbake.oci.remote.image import RemoteImage, RemoteIndex, read
from hardbake.oci.remote.write import write

__all__ = ["DEFAULT_CHUNK", "RegistryAccess", "RemoteImage", "RemoteIndex", "api_host", "read", "write"]
