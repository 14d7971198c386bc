from __future__ import annotations

import pytest

from hardbake.errors import InputError
from hardbake.oci.platform import DEBIAN_TO_OCI, Platform


@pytest.mark.parametrize(
    ("debian", "oci"),
    [
        ("amd64", "linux/amd64"),
        ("arm64", "linux/arm64/v8"),
        ("armhf", "linux/arm/v7"),
        ("armel", "linux/arm/v5"),
        ("i386", "linux/386"),
        ("ppc64el", "linux/ppc64le"),
        ("s390x", "linux/s390x"),
        ("riscv64", "linux/riscv64"),
    ],
)
def test_debian_arch_names_map_to_oci(debian: str, oci: str) -> None:
    p = Platform.from_debian(debian)
    assert str(p) == oci
    assert p.debian_arch == debian


def test_every_debian_arch_maps_back() -> None:
    for deb in DEBIAN_TO_OCI:
        assert Platform.from_debian(deb).debian_arch == deb


def test_unknown_debian_arch_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown Debian architecture") as e:
        Platform.from_debian("sparc")
    assert "armhf" in e.value.diagnostics()


def test_arm64_with_and_without_v8_are_the_same_platform() -> None:
    assert Platform.parse("linux/arm64").matches(Platform.parse("linux/arm64/v8"))
    assert Platform.parse("linux/arm/v7").matches(Platform.parse("linux/arm"))
    assert not Platform.parse("linux/arm/v6").matches(Platform.parse("linux/arm/v7"))
    assert not Platform.parse("linux/amd64").matches(Platform.parse("linux/arm64"))


def test_parse_accepts_debian_names_where_an_oci_name_belongs() -> None:
    assert str(Platform.parse("linux/armhf")) == "linux/arm/v7"
    assert str(Platform.parse("linux/ppc64el")) == "linux/ppc64le"
    assert Platform.parse_list("linux/amd64, linux/arm64") == (
        Platform("linux", "amd64"),
        Platform("linux", "arm64"),
    )


@pytest.mark.parametrize("bad", ["amd64", "linux/", "linux/amd64/v1/x", ""])
def test_bad_platforms_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="OS/ARCH"):
        Platform.parse(bad)


def test_json_round_trip_uses_oci_field_names() -> None:
    p = Platform("windows", "amd64", None, "10.0.17763", ("win32k",))
    j = p.to_json()
    assert j == {
        "architecture": "amd64",
        "os": "windows",
        "os.version": "10.0.17763",
        "os.features": ["win32k"],
    }
    assert Platform.from_json(j, "x") == p


def test_host_is_a_known_platform() -> None:
    assert Platform.host().os == "linux"
    assert Platform.host().architecture in {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"}
