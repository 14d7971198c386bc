"""`verify --keyring`: every .deb a provenance resolved is in an archive index signed by a trusted key.

A hardbake provenance lists each .deb in `resolvedDependencies` (`slsa.deb_dependency`):
`uri` is where it was downloaded (`<archive root>/pool/<component>/...`), `digest.sha256`
its hash, `name` its purl (`pkg:deb/debian/NAME@VERSION?arch=ARCH`) and
`annotations.suite` the suite it was resolved from. For each one this check:

1. splits the URI into the archive root and the pool filename (Debian's layout:
   `dists/` and `pool/` side by side; the component is the pool's first directory);
2. reads that suite's InRelease from the archive root and checks its signature with gpgv
   against the keyring the user trusts (`hardbake.debian.archive.Archive`: the same chain
   apt uses, Valid-Until included), then the Packages index of the component and
   architecture against the sizes and SHA256 the signed Release lists;
3. looks for a stanza of that package whose `Filename` and `SHA256` are the provenance's.

Any break is a failed check with the reason: a .deb whose sha256 no signed index lists, an
InRelease the keyring did not sign, an unreachable archive, a provenance entry that does not
say where it came from. The archive is asked as it is today: a package the archive has since
replaced is no longer listed, and fails (verify soon after the build, or point the check at a
snapshot archive).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from packageurl import PackageURL

from hardbake.attest.verify import Check
from hardbake.debian.archive import Archive
from hardbake.debian.client import http_client
from hardbake.debian.packages import PackagesIndex
from hardbake.debian.sources import Repository
from hardbake.download import Downloader
from hardbake.errors import Error, InputError

CHECK_NAME = "dependencies"
_SHOW = 5  # failures listed in the detail before "and N more"


@dataclass(frozen=True)
class DebDependency:
    """One resolved .deb, as a provenance describes it."""

    name: str
    version: str
    arch: str
    sha256: str
    root: str  # archive root URL (what holds dists/ and pool/)
    filename: str  # pool/main/x/xyz/xyz_1.0_amd64.deb
    suite: str | None

    @property
    def component(self) -> str:
        return self.filename.split("/")[1]

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.arch})"

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> DebDependency:
        """Read one `resolvedDependencies` entry; InputError says what is missing."""
        label = str(entry.get("name") or entry.get("uri") or entry)
        try:
            purl = PackageURL.from_string(str(entry.get("name") or ""))
        except ValueError as e:
            raise InputError(f"{label}: name is not a package URL ({e})") from e
        if purl.type != "deb" or not purl.version:
            raise InputError(f"{label}: not a pkg:deb purl with a version")
        uri = str(entry.get("uri") or entry.get("downloadLocation") or "")
        root, sep, rest = uri.partition("/pool/")
        if not sep or not root or "/" not in rest:
            raise InputError(f"{label}: uri {uri!r} is not ARCHIVE/pool/COMPONENT/...")
        sha256 = str((entry.get("digest") or {}).get("sha256") or "")
        if len(sha256) != 64:
            raise InputError(f"{label}: no sha256 digest")
        qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
        suite = (entry.get("annotations") or {}).get("suite")
        return cls(
            name=purl.name,
            version=purl.version,
            arch=str(qualifiers.get("arch") or "all"),
            sha256=sha256,
            root=root,
            filename="pool/" + rest,
            suite=str(suite) if suite else None,
        )


class ArchiveDependencyCheck:
    """A `VerifyPolicy.dependency_check`: resolved .debs against indices signed by `keyring`.

    `suites` are tried for entries whose provenance does not name their suite. The HTTP
    client and the cache root (InRelease and Packages files, stored only once verified) are
    passed in.
    """

    def __init__(
        self,
        keyring: Path,
        cache_root: Path,
        *,
        http: httpx.Client | None = None,
        suites: Sequence[str] = (),
        max_age: float = 300.0,
    ) -> None:
        if not Path(keyring).is_file():
            raise InputError(
                f"keyring {keyring} does not exist", hint="pass an OpenPGP keyring file (.gpg or .asc)"
            )
        self.keyring = Path(keyring)
        self.suites = tuple(suites)
        self._owns_http = http is None
        self._http = http or http_client()
        self._archive = Archive(Downloader(self._http), cache_root, max_age=max_age)
        self._indices: dict[tuple[str, str, str, str], PackagesIndex | Error] = {}

    def _index(self, root: str, suite: str, component: str, arch: str) -> PackagesIndex | Error:
        key = (root, suite, component, arch)
        if key not in self._indices:
            repo = Repository(root, root, suite, (component,), self.keyring)
            try:
                self._indices[key] = self._archive.index(repo, component, arch)
            except Error as e:
                self._indices[key] = e
        return self._indices[key]

    def _problem(self, dep: DebDependency, default_arch: str) -> str | None:
        """Why `dep` is not vouched for by a signed index, or None when it is."""
        suites = (dep.suite,) if dep.suite else self.suites
        if not suites:
            return f"{dep}: the provenance does not say which suite it came from (pass --suite)"
        arch = default_arch if dep.arch == "all" else dep.arch
        reasons = []
        for suite in suites:
            index = self._index(dep.root, suite, dep.component, arch)
            if isinstance(index, Error):
                reasons.append(f"{suite}: {index.message}")
                continue
            listed = [r for r in index.named(dep.name) if r.filename == dep.filename]
            if any(r.sha256 == dep.sha256 for r in listed):
                return None
            if listed:
                reasons.append(
                    f"{suite} lists {dep.filename} with sha256 {listed[0].sha256}, not {dep.sha256}"
                )
            else:
                reasons.append(f"{suite} does not list {dep.filename}")
        return f"{dep}: " + "; ".join(reasons)

    def __call__(self, resolved: list[dict[str, Any]]) -> Check:
        debs: list[DebDependency] = []
        problems: list[str] = []
        for entry in resolved:
            try:
                debs.append(DebDependency.parse(entry))
            except InputError as e:
                problems.append(e.message)
        if not debs and not problems:
            return Check(CHECK_NAME, False, "the provenance lists no resolved .debs to check")
        arches = Counter(d.arch for d in debs if d.arch != "all")
        default_arch = arches.most_common(1)[0][0] if arches else "amd64"
        for dep in debs:
            problem = self._problem(dep, default_arch)
            if problem:
                problems.append(problem)
        if problems:
            more = f"; and {len(problems) - _SHOW} more" if len(problems) > _SHOW else ""
            head = (
                f"{len(problems)} of {len(resolved)} resolved .debs are not vouched for by {self.keyring}: "
            )
            return Check(CHECK_NAME, False, head + "; ".join(problems[:_SHOW]) + more)
        suites = sorted({s for d in debs for s in ((d.suite,) if d.suite else self.suites)})
        return Check(
            CHECK_NAME,
            True,
            f"all {len(debs)} resolved .debs are listed with their sha256 in Packages indices "
            f"signed by {self.keyring} ({', '.join(suites)})",
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()
