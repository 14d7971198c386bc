"""Package URLs (purl spec, github.com/package-url/purl-spec) for every ecosystem, via packageurl-python.

- deb: `pkg:deb/<os id>/<name>@<version>?arch=<arch>&distro=<distro>`, the namespace the OS's
  own ID (`debian`, `ubuntu`), the distro hardbake's name (`debian-12`) — the form
  hardbake's VEX and the scanners use.
- apk: `pkg:apk/<os id>/<name>@<version>?arch=<arch>&distro=<id>-<version>`.
- pypi: the name normalised as PEP 503 says (the purl spec requires it).
- npm: a scope is the namespace (`pkg:npm/%40types/node@20.1.0`).
- maven: `pkg:maven/<groupId>/<artifactId>@<version>`.
- golang: the module path split at its last `/` into namespace and name.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

_PEP503 = re.compile(r"[-_.]+")


def pypi_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return _PEP503.sub("-", name).lower()


def deb(
    name: str, version: str | None, arch: str | None, os_id: str = "debian", distro: str | None = None
) -> str:
    q = {k: v for k, v in (("arch", arch), ("distro", distro)) if v}
    return PackageURL("deb", os_id, name, version, q or None).to_string()


def apk(name: str, version: str, arch: str | None, os_id: str = "alpine", distro: str | None = None) -> str:
    q = {k: v for k, v in (("arch", arch), ("distro", distro)) if v}
    return PackageURL("apk", os_id, name, version, q or None).to_string()


def pypi(name: str, version: str) -> str:
    return PackageURL("pypi", None, pypi_name(name), version).to_string()


def npm(name: str, version: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, base = name.split("/", 1)
        return PackageURL("npm", scope, base, version).to_string()
    return PackageURL("npm", None, name, version).to_string()


def maven(group: str, artifact: str, version: str) -> str:
    return PackageURL("maven", group or None, artifact, version).to_string()


def golang(module: str, version: str) -> str:
    namespace, _, name = module.rpartition("/")
    return PackageURL("golang", namespace or None, name, version).to_string()


def oci(name: str, digest: str, arch: str | None = None, repository: str | None = None) -> str:
    """The image itself: `pkg:oci/<name>@sha256:...?arch=amd64&repository_url=...`."""
    q = {k: v for k, v in (("arch", arch), ("repository_url", repository)) if v}
    return PackageURL("oci", None, name, digest, q or None).to_string()
