"""The input seam validates itself on construction."""

from __future__ import annotations

import pytest

from hardbake.errors import InputError
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget


def test_deb_defaults_source_to_binary_and_normalises_distro() -> None:
    p = InstalledPackage(Ecosystem.deb, "tar", "1.34+dfsg-1.2+deb12u1", distro="bookworm")
    assert (p.source, p.source_version, p.distro) == ("tar", "1.34+dfsg-1.2+deb12u1", "debian-12")
    assert InstalledPackage("pypi", "x", "1").ecosystem is Ecosystem.pypi  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [
        {"ecosystem": "rpm", "name": "x", "version": "1"},
        {"ecosystem": "deb", "name": "", "version": "1"},
        {"ecosystem": "deb", "name": "x", "version": "1", "distro": "debian-99"},
        {"ecosystem": "deb", "name": "x", "version": "1", "layer_digest": "md5:abc"},
    ],
)
def test_bad_packages(kw: dict[str, str]) -> None:
    with pytest.raises((InputError, ValueError)):
        InstalledPackage(**kw)  # type: ignore[arg-type]


def test_target_must_declare_what_was_inventoried() -> None:
    p = InstalledPackage(Ecosystem.npm, "left-pad", "1.0.0")
    with pytest.raises(InputError, match="not inventoried"):
        ScanTarget("x", (p,), frozenset({Ecosystem.deb}))
    t = ScanTarget("x", [p], {"npm", "deb"}, digest="sha256:" + "0" * 64)  # type: ignore[arg-type]
    assert t.packages == (p,) and Ecosystem.deb in t.ecosystems
    with pytest.raises(InputError):
        ScanTarget("x", (), frozenset(), digest="sha256:short")
