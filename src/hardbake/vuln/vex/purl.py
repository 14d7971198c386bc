"""Package URLs in VEX products: normalisation and matching against installed packages and images.

Distro qualifiers name the same thing in several spellings: `distro=debian-12`,
`distro=bookworm`, `distro=debian-12.5`, and `os_distro=bookworm&os_version=12` (with
`os_name=debian`) all normalise to hardbake's `debian-12`. A product purl matches a package
when type, namespace (where the ecosystem has one) and name agree, its version (if any)
equals the installed one by the ecosystem's ordering (a deb purl may name the binary or the
source package, with the matching version), and its distro and arch qualifiers (if any)
agree. Image products (`pkg:oci/...`, `pkg:docker/...`) match a target by digest
(the purl's version or `digest` qualifier), or — without a digest — by repository name.
"""

from __future__ import annotations

from packageurl import PackageURL

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.vuln.feeds.osv import normalise_name
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.versions import sort_key

IMAGE_TYPES = ("oci", "docker")


def parse(purl: str) -> PackageURL | None:
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def distro_of(p: PackageURL) -> str | None:
    """hardbake distro name named by a purl's qualifiers, if any; InputError if unknown."""
    q = {k.lower(): str(v) for k, v in (p.qualifiers or {}).items()} if isinstance(p.qualifiers, dict) else {}
    candidates = []
    if "distro" in q:
        d = q["distro"]
        candidates += [d, d.removeprefix("debian-").split(".")[0], d.removeprefix("debian").lstrip("-")]
    if "os_distro" in q:
        candidates.append(q["os_distro"])
    if "os_version" in q:
        candidates.append(q["os_version"].split(".")[0])
    for c in candidates:
        try:
            return distros.get(c).name
        except InputError:
            continue
    if candidates:
        return f"unknown:{candidates[0]}"  # names a distro hardbake does not know: matches nothing
    return None


def is_image(p: PackageURL) -> bool:
    return p.type in IMAGE_TYPES


def is_versionless(p: PackageURL) -> bool:
    if is_image(p):
        return not image_digest(p)
    return not p.version


def image_digest(p: PackageURL) -> str | None:
    q = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    for v in (p.version, q.get("digest")):
        if v and str(v).startswith("sha256:"):
            return str(v)
    return None


def matches_image(p: PackageURL, target: ScanTarget) -> bool:
    digest = image_digest(p)
    if digest is not None:
        return target.digest == digest
    name = f"{p.namespace}/{p.name}" if p.namespace else p.name
    repo = (target.repository or "").removeprefix("docker.io/").removeprefix("library/")
    return bool(repo) and (repo == name or repo.endswith("/" + name))


def _versions_equal(eco: Ecosystem, a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return bool(sort_key(eco, a) == sort_key(eco, b))
    except InputError:
        return False


def matches_package(p: PackageURL, pkg: InstalledPackage) -> bool:
    if p.type != pkg.ecosystem.value:
        return False
    eco = pkg.ecosystem
    if eco is Ecosystem.deb:
        if p.name == pkg.name:
            version = pkg.version
        elif p.name == pkg.source:
            version = pkg.source_version or pkg.version
        else:
            return False
        if p.namespace and p.namespace.lower() != "debian":
            return False
    else:
        full = f"{p.namespace}/{p.name}" if p.namespace else p.name
        if eco is Ecosystem.maven:
            full = f"{p.namespace}:{p.name}" if p.namespace else p.name
        if normalise_name(eco, full) != normalise_name(eco, pkg.name):
            return False
        version = pkg.version
    if p.version and not _versions_equal(eco, p.version, version):
        return False
    want = distro_of(p)
    if want is not None and pkg.distro is not None and want != pkg.distro:
        return False
    q = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    arch = q.get("arch")
    return not (arch and pkg.arch and arch not in (pkg.arch, "all") and pkg.arch != "all")
