"""A small world for the patch loop's tests and benchmark: a signed local archive and five images.

Packages (all tiny): `hbrun`, a static Go program that prints the files it is given and
exits 1 when one of them says BROKEN; `liba`, `libb`, `libg`, `common`, `libchild`, each a
message file under /usr/share/<pkg>/ and a real `changelog.Debian.gz` (which names CVEs
when a version says so). Images (debian-13, amd64), each with a `tests:` step that runs in
the engine and checks its packages' messages:

    alpha  = hbrun + liba              beta  = hbrun + libb        gamma = hbrun + libg
    tbase  = hbrun + common            tchild = extends tbase + libchild

`publish(name, version, ...)` puts a new version in a suite (default trixie-security) and
re-signs it, as the archive does when a fix lands.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hardbake.testing.aptrepo import AptRepo, SigningKey, serve
from hardbake.testing.debs import DebSpec, File
from hardbake.testing.images import build_go_binary

HBRUN = """package main

import (
\t"fmt"
\t"os"
\t"strings"
)

// Prints each file named on the command line; exit 1 when one says BROKEN, 2 when unreadable.
func main() {
\tcode := 0
\tfor _, name := range os.Args[1:] {
\t\tdata, err := os.ReadFile(name)
\t\tif err != nil {
\t\t\tfmt.Println("error:", err)
\t\t\tos.Exit(2)
\t\t}
\t\tfmt.Print(string(data))
\t\tif strings.Contains(string(data), "BROKEN") {
\t\t\tcode = 1
\t\t}
\t}
\tos.Exit(code)
}
"""

LIBS = ("liba", "libb", "libg", "common", "libchild")
DATE = "Mon, 01 Jan 2024 00:00:00 +0000"


def changelog(source: str, entries: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """A Debian changelog, newest entry first: (version, CVEs fixed in it)."""
    parts = []
    for version, cves in entries:
        lines = [f"  * Fix {c}." for c in cves] or ["  * New upstream release."]
        parts.append(
            f"{source} ({version}) trixie-security; urgency=high\n\n"
            + "\n".join(lines)
            + f"\n\n -- hardbake tests <tests@invalid>  {DATE}\n"
        )
    return gzip.compress("\n".join(parts).encode(), mtime=0)


def message_package(
    name: str, version: str, message: str, history: Sequence[tuple[str, Sequence[str]]] = ()
) -> DebSpec:
    entries = [*history] if history else [(version, ())]
    return DebSpec(
        name,
        version,
        files={
            f"/usr/share/{name}/message": File(f"{message}\n".encode()),
            f"/usr/share/doc/{name}/changelog.Debian.gz": File(changelog(name, entries)),
            f"/usr/share/doc/{name}/copyright": File(b"Public domain test data.\n"),
        },
    )


def _spec(name: str, packages: Sequence[str], checks: Sequence[str], extends: str | None = None) -> str:
    msgs = ", ".join(f"/usr/share/{p}/message" for p in checks)
    want = ".*".join(f"{p} ok" for p in checks)
    head = f'name: {name}\nversion: "1"\ndistro: debian-13\narchs: [amd64]\n'
    if extends:
        head += f"extends: {extends}\n"
    return (
        head + f"packages: [{', '.join(packages)}]\nallowed-programs: [hbrun]\nentrypoint: [/usr/bin/hbrun]\n"
        "tests:\n"
        f"  - name: messages\n    args: [{msgs}]\n    output: '(?s){want}'\n    timeout: 30\n"
    )


SPECS = {
    "alpha": _spec("alpha", ["hbrun", "liba"], ["liba"]),
    "beta": _spec("beta", ["hbrun", "libb"], ["libb"]),
    "gamma": _spec("gamma", ["hbrun", "libg"], ["libg"]),
    "tbase": _spec("tbase", ["hbrun", "common"], ["common"]),
    "tchild": _spec("tchild", ["libchild"], ["common", "libchild"], extends="tbase.yaml"),
}


@dataclass
class Lab:
    root: Path
    debian: AptRepo  # trixie, trixie-updates
    security: AptRepo  # trixie-security
    url: str = ""
    specs: dict[str, Path] = field(default_factory=dict)
    hbrun: Path | None = None

    @property
    def keyring(self) -> Path:
        return self.debian.key.keyring

    @property
    def mirror(self) -> str:
        return f"{self.url}/debian"

    @property
    def security_mirror(self) -> str:
        return f"{self.url}/debian-security"

    def env(self) -> dict[str, str]:
        return {"HARDBAKE_MIRROR": self.mirror, "HARDBAKE_SECURITY_MIRROR": self.security_mirror,
                "HARDBAKE_KEYRING": str(self.keyring)}  # fmt: skip

    def publish(
        self,
        name: str,
        version: str,
        message: str | None = None,
        cves: Sequence[str] = (),
        suite: str = "trixie-security",
    ) -> None:
        """A new version of a message package lands in `suite`, with a changelog naming `cves`."""
        history = [(version, tuple(cves)), ("1.0-1", ())]
        spec = message_package(name, version, message or f"{name} ok", history)
        self._add(suite, spec)

    def publish_hbrun(self, version: str, suite: str = "trixie-security") -> None:
        """A new build of the program every image runs (a change all five images take)."""
        assert self.hbrun is not None
        self._add(
            suite, DebSpec("hbrun", version, files={"/usr/bin/hbrun": File(self.hbrun.read_bytes(), 0o755)})
        )

    def _add(self, suite: str, spec: DebSpec) -> None:
        repo = self.security if suite.endswith("-security") else self.debian
        repo.add(suite, spec)
        repo.publish(suite, archs=("amd64",))


def build_lab(root: Path, key: SigningKey, binary: Path | None = None) -> Lab:
    """The archive (trixie at 1.0-1 for every package) and the five spec files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "www" / "debian").mkdir(parents=True, exist_ok=True)
    (root / "www" / "debian-security").mkdir(parents=True, exist_ok=True)
    lab = Lab(root, AptRepo(root / "www" / "debian", key), AptRepo(root / "www" / "debian-security", key))
    hbrun = binary or build_go_binary(root / "hbrun", HBRUN)
    lab.hbrun = hbrun
    lab.debian.add(
        "trixie", DebSpec("hbrun", "1.0-1", files={"/usr/bin/hbrun": File(hbrun.read_bytes(), 0o755)})
    )
    for name in LIBS:
        lab.debian.add("trixie", message_package(name, "1.0-1", f"{name} ok"))
    lab.debian.publish("trixie", archs=("amd64",))
    lab.debian.publish("trixie-updates", archs=("amd64",))
    lab.security.publish("trixie-security", archs=("amd64",))
    specs = root / "specs"
    specs.mkdir(exist_ok=True)
    for name, text in SPECS.items():
        (specs / f"{name}.yaml").write_text(text)
        lab.specs[name] = specs / f"{name}.yaml"
    return lab


@contextmanager
def served(lab: Lab) -> Iterator[Lab]:
    with serve(lab.root / "www") as url:
        lab.url = url
        yield lab
