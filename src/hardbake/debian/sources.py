"""The machine's apt sources, and the repositories hardbake reads packages from.

By default hardbake uses the Debian mirror named in /etc/apt/sources.list and
/etc/apt/sources.list.d/ (deb822 `.sources` and one-line `.list` styles), so whatever mirror
or proxy the machine already uses just works. `--mirror` / `HARDBAKE_MIRROR` and
`--security-mirror` / `HARDBAKE_SECURITY_MIRROR` override it. Suites the machine's sources do
not list (trixie on a bookworm host) are looked up under the same mirrors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from debian.deb822 import Deb822

from hardbake.errors import InputError

DEFAULT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
APT_ROOT = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    """One `deb` entry of an apt sources file."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str | None = None
    origin: str = ""  # file it was read from


@dataclass(frozen=True)
class Repository:
    """Where one suite's packages come from, and the keyring that must have signed it.

    `name` is the logical name written into locks ("debian", "debian-security", or a user
    repository's name), so a lock does not depend on which mirror the machine uses.
    """

    name: str
    uri: str
    suite: str
    components: tuple[str, ...] = ("main",)
    keyring: Path = DEFAULT_KEYRING
    flat: bool = False

    def __post_init__(self) -> None:
        if not re.match(r"^(https?|file)://", self.uri):
            raise InputError(f"repository {self.name!r}: URI {self.uri!r} is not http(s):// or file://")
        object.__setattr__(self, "uri", self.uri.rstrip("/"))

    def dist_url(self, path: str) -> str:
        return f"{self.uri}/dists/{self.suite}/{path}"

    def pool_url(self, filename: str) -> str:
        return f"{self.uri}/{filename}"


@dataclass(frozen=True)
class Mirrors:
    """The two Debian mirrors hardbake resolves suites against."""

    debian: str
    security: str
    keyring: Path = DEFAULT_KEYRING

    def for_suite(self, suite: str, components: tuple[str, ...] = ("main",)) -> Repository:
        if suite.endswith("-security"):
            return Repository("debian-security", self.security, suite, components, self.keyring)
        return Repository("debian", self.debian, suite, components, self.keyring)

    @property
    def bases(self) -> dict[str, str]:
        return {"debian": self.debian, "debian-security": self.security}


def _one_line(line: str, origin: str) -> AptSource | None:
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    parts = line.split()
    if parts[0] != "deb":
        return None
    rest = parts[1:]
    signed_by = None
    if rest and rest[0].startswith("["):
        opts: list[str] = []
        while rest:
            tok = rest.pop(0)
            opts.append(tok)
            if tok.endswith("]"):
                break
        for o in " ".join(opts).strip("[]").split():
            k, _, v = o.partition("=")
            if k == "signed-by":
                signed_by = v
    if len(rest) < 2:
        raise InputError(f"{origin}: malformed apt source line {line!r}")
    return AptSource(rest[0], (rest[1],), tuple(rest[2:]), signed_by, origin)


def _deb822(text: str, origin: str) -> Iterable[AptSource]:
    for para in Deb822.iter_paragraphs(text.splitlines()):
        if para.get("Enabled", "yes").strip().lower() == "no":
            continue
        if "deb" not in para.get("Types", "").split():
            continue
        for uri in para.get("URIs", "").split():
            yield AptSource(
                uri,
                tuple(para.get("Suites", "").split()),
                tuple(para.get("Components", "").split()),
                para.get("Signed-By"),
                origin,
            )


def read_apt_sources(root: Path = APT_ROOT) -> list[AptSource]:
    """Every enabled `deb` source of the machine, in apt's reading order."""
    out: list[AptSource] = []
    main = root / "sources.list"
    if main.is_file():
        for line in main.read_text().splitlines():
            src = _one_line(line, str(main))
            if src:
                out.append(src)
    d = root / "sources.list.d"
    if d.is_dir():
        for f in sorted(d.iterdir()):
            if f.suffix == ".list":
                for line in f.read_text().splitlines():
                    src = _one_line(line, str(f))
                    if src:
                        out.append(src)
            elif f.suffix == ".sources":
                out.extend(_deb822(f.read_text(), str(f)))
    return out


_DEBIAN_CODENAMES = ("buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid")
# third-party repositories also call their suite "stable": trust these only on a /debian path
_DEBIAN_ALIASES = ("stable", "testing", "unstable", "oldstable")


def _is_debian(src: AptSource, *, security: bool) -> bool:
    debian_path = src.uri.rstrip("/").endswith(("/debian", "/debian-security"))
    for s in src.suites:
        base, _, pocket = s.partition("-")
        known = base in _DEBIAN_CODENAMES or (base in _DEBIAN_ALIASES and debian_path)
        if known and (pocket == "security") == security:
            return True
        if security and debian_path and s.endswith("/updates"):  # pre-bullseye security layout
            return True
    return False


def default_mirrors(
    env: dict[str, str] | None = None,
    *,
    mirror: str | None = None,
    security_mirror: str | None = None,
    keyring: Path | None = None,
    root: Path = APT_ROOT,
) -> Mirrors:
    """Flags beat environment variables, which beat the machine's apt sources."""
    env = dict(os.environ) if env is None else env
    debian = mirror or env.get("HARDBAKE_MIRROR")
    security = security_mirror or env.get("HARDBAKE_SECURITY_MIRROR")
    if not (debian and security):
        sources = read_apt_sources(root)
        if not debian:
            debian = next((s.uri for s in sources if _is_debian(s, security=False)), None)
        if not security:
            security = next((s.uri for s in sources if _is_debian(s, security=True)), None)
    if not debian:
        raise InputError(
            "no Debian mirror found in the machine's apt sources",
            hint="pass --mirror URL or set HARDBAKE_MIRROR",
        )
    if not security:
        # the security archive sits beside the main one on Debian's own mirror layout
        security = debian.rstrip("/") + "-security"
    kr = keyring or (Path(env["HARDBAKE_KEYRING"]) if env.get("HARDBAKE_KEYRING") else DEFAULT_KEYRING)
    return Mirrors(debian.rstrip("/"), security.rstrip("/"), kr)


def parse_repo_option(text: str, name: str | None = None) -> Repository:
    """`URI SUITE [COMPONENT...] [keyring=PATH]`: an extra apt repository from the command line."""
    parts = text.split()
    keyring = DEFAULT_KEYRING
    rest: list[str] = []
    for p in parts:
        if p.startswith("keyring="):
            keyring = Path(p.split("=", 1)[1])
        else:
            rest.append(p)
    if len(rest) < 2:
        raise InputError(
            f"--repo {text!r}: expected 'URI SUITE [COMPONENT...] [keyring=PATH]'",
        )
    uri, suite, *components = rest
    return Repository(name or uri, uri, suite, tuple(components) or ("main",), keyring)
