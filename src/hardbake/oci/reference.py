"""Image references: skopeo's transports and Docker's registry reference grammar.

`oci:DIR[:TAG]`, `docker-archive:FILE`, `docker-daemon:NAME:TAG`, and a bare
`[HOST[:PORT]/]REPO[:TAG][@sha256:HEX]` for a registry, normalised the way the Docker CLI
normalises it (distribution/reference): `node` is `docker.io/library/node:latest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hardbake.errors import InputError

DOCKER_HUB = "docker.io"
_LEGACY_HUB = ("index.docker.io", "registry-1.docker.io")

# distribution/reference grammar
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_DOMAIN_RE = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$"
)


@dataclass(frozen=True, order=True)
class RegistryRef:
    """A registry image reference, normalised (domain always present, Hub repos under library/)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> RegistryRef:
        """Parse like the Docker CLI: `node` -> docker.io/library/node:latest."""
        original = text
        if not text or text != text.strip():
            raise InputError(f"invalid image reference {original!r}: empty or surrounded by spaces")
        digest: str | None = None
        if "@" in text:
            text, digest = text.split("@", 1)
            if not _DIGEST_RE.match(digest):
                raise InputError(f"invalid image reference {original!r}: digest {digest!r} is not ALGO:HEX")
        tag: str | None = None
        slash = text.rfind("/")
        colon = text.rfind(":")
        if colon > slash:
            text, tag = text[:colon], text[colon + 1 :]
            if not _TAG_RE.match(tag):
                raise InputError(f"invalid image reference {original!r}: bad tag {tag!r}")
        first, _, rest = text.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
            registry, path = first, rest
            if not _DOMAIN_RE.match(registry):
                raise InputError(f"invalid image reference {original!r}: bad registry {registry!r}")
        else:
            registry, path = DOCKER_HUB, text
        if registry in _LEGACY_HUB:
            registry = DOCKER_HUB
        if registry == DOCKER_HUB and "/" not in path:
            path = f"library/{path}"
        if not _PATH_RE.match(path):
            raise InputError(
                f"invalid image reference {original!r}: repository {path!r} must be lowercase "
                "letters, digits and separators (. _ __ -), components joined by '/'"
            )
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry=registry, repository=path, tag=tag, digest=digest)

    @property
    def name(self) -> str:
        """`registry/repository` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def canonical(self) -> str:
        """Fully qualified: `docker.io/library/node:20@sha256:...`."""
        s = self.name
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s

    @property
    def familiar(self) -> str:
        """Short form as `docker` prints it: `node:20`, `user/app:1`, `host:5000/x:y`."""
        if self.registry == DOCKER_HUB:
            path = self.repository.removeprefix("library/")
        else:
            path = self.name
        if self.tag:
            path += f":{self.tag}"
        if self.digest:
            path += f"@{self.digest}"
        return path

    @property
    def family(self) -> str:
        """The last path component: `node` for docker.io/library/node."""
        return self.repository.rsplit("/", 1)[-1]

    def with_tag(self, tag: str) -> RegistryRef:
        return RegistryRef(self.registry, self.repository, tag, None)

    def with_digest(self, digest: str) -> RegistryRef:
        return RegistryRef(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        return self.canonical


@dataclass(frozen=True)
class LayoutRef:
    """`oci:DIR[:TAG]`: an OCI image layout directory, optionally one tag inside it."""

    path: Path
    tag: str | None = None

    def __str__(self) -> str:
        return f"oci:{self.path}" + (f":{self.tag}" if self.tag else "")


@dataclass(frozen=True)
class ArchiveRef:
    """`docker-archive:FILE`: a `docker save` tarball."""

    path: Path
    name: str | None = None  # docker-archive:FILE:NAME:TAG names the image inside

    def __str__(self) -> str:
        return f"docker-archive:{self.path}" + (f":{self.name}" if self.name else "")


@dataclass(frozen=True)
class DaemonRef:
    """`docker-daemon:NAME:TAG`: an image in the local Docker engine."""

    ref: RegistryRef

    def __str__(self) -> str:
        return f"docker-daemon:{self.ref.familiar}"


ImageRef = RegistryRef | LayoutRef | ArchiveRef | DaemonRef


def parse_image_ref(text: str) -> ImageRef:
    """Parse any image reference: a transport-prefixed one, else a registry reference."""
    if text.startswith("oci:"):
        body = text[4:]
        if not body:
            raise InputError(f"invalid image reference {text!r}: oci: needs a directory")
        # oci:DIR:TAG - the tag is what follows the last ':' when it is not part of the path
        path, sep, tag = body.rpartition(":")
        if sep and path and "/" not in tag and _TAG_RE.match(tag):
            return LayoutRef(Path(path), tag)
        return LayoutRef(Path(body), None)
    if text.startswith("docker-archive:"):
        body = text[len("docker-archive:") :]
        if not body:
            raise InputError(f"invalid image reference {text!r}: docker-archive: needs a file")
        path, sep, name = body.partition(":")
        return ArchiveRef(Path(path), name or None)
    if text.startswith("docker-daemon:"):
        body = text[len("docker-daemon:") :]
        if not body:
            raise InputError(f"invalid image reference {text!r}: docker-daemon: needs NAME:TAG")
        return DaemonRef(RegistryRef.parse(body))
    if text.startswith("docker://"):
        return RegistryRef.parse(text[len("docker://") :])
    return RegistryRef.parse(text)
