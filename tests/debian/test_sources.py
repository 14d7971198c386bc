from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.debian.sources import default_mirrors, parse_repo_option, read_apt_sources
from hardbake.errors import InputError


def _apt_root(tmp_path: Path, one_line: str = "", deb822: str = "") -> Path:
    root = tmp_path / "apt"
    (root / "sources.list.d").mkdir(parents=True)
    (root / "sources.list").write_text(one_line)
    if deb822:
        (root / "sources.list.d" / "debian.sources").write_text(deb822)
    (root / "sources.list.d" / "other.list").write_text(
        "deb [arch=amd64 signed-by=/k.gpg] https://example.invalid/apt stable main\n"
    )
    return root


DEB822 = """\
Types: deb deb-src
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.invalid/debian
Suites: trixie
Components: main
"""


def test_deb822_sources(tmp_path: Path) -> None:
    root = _apt_root(tmp_path, deb822=DEB822)
    srcs = read_apt_sources(root)
    assert [s.uri for s in srcs] == [
        "http://mirror.invalid/debian",
        "http://mirror.invalid/debian-security",
        "https://example.invalid/apt",
    ]
    m = default_mirrors({}, root=root)
    assert (m.debian, m.security) == ("http://mirror.invalid/debian", "http://mirror.invalid/debian-security")


def test_one_line_sources(tmp_path: Path) -> None:
    root = _apt_root(
        tmp_path,
        one_line=(
            "# comment\n"
            "deb-src http://src.invalid/debian bookworm main\n"
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.invalid/debian bookworm main contrib\n"
            "deb http://one.invalid/debian-security bookworm-security main\n"
        ),
    )
    srcs = read_apt_sources(root)
    assert srcs[0].signed_by == "/usr/share/keyrings/debian-archive-keyring.gpg"
    assert srcs[0].components == ("main", "contrib")
    m = default_mirrors({}, root=root)
    assert m.debian == "http://one.invalid/debian" and m.security == "http://one.invalid/debian-security"


def test_flags_beat_environment_beat_apt(tmp_path: Path) -> None:
    root = _apt_root(tmp_path, deb822=DEB822)
    env = {
        "HARDBAKE_MIRROR": "http://env.invalid/debian/",
        "HARDBAKE_SECURITY_MIRROR": "http://env.invalid/sec",
    }
    m = default_mirrors(env, root=root)
    assert (m.debian, m.security) == ("http://env.invalid/debian", "http://env.invalid/sec")
    m = default_mirrors(env, mirror="http://flag.invalid/debian", root=root)
    assert m.debian == "http://flag.invalid/debian" and m.security == "http://env.invalid/sec"


def test_security_mirror_defaults_beside_the_main_one(tmp_path: Path) -> None:
    root = _apt_root(tmp_path, one_line="deb http://only.invalid/debian bookworm main\n")
    assert default_mirrors({}, root=root).security == "http://only.invalid/debian-security"


def test_no_debian_source_is_a_clear_error(tmp_path: Path) -> None:
    root = _apt_root(tmp_path)
    with pytest.raises(InputError) as e:
        default_mirrors({}, root=root)
    assert "--mirror" in (e.value.hint or "")


def test_suites_for_a_mirror() -> None:
    from hardbake.debian.sources import Mirrors

    m = Mirrors("http://m.invalid/debian", "http://m.invalid/debian-security")
    assert m.for_suite("trixie-security").uri == "http://m.invalid/debian-security"
    assert m.for_suite("trixie-updates").name == "debian"


def test_extra_repository_option(tmp_path: Path) -> None:
    r = parse_repo_option(f"http://127.0.0.1:9/repo stable main extra keyring={tmp_path}/k.asc", name="corp")
    assert (r.uri, r.suite, r.components, r.keyring) == (
        "http://127.0.0.1:9/repo",
        "stable",
        ("main", "extra"),
        tmp_path / "k.asc",
    )
    with pytest.raises(InputError):
        parse_repo_option("http://127.0.0.1:9/repo")
    with pytest.raises(InputError):
        parse_repo_option("ftp://x stable")
