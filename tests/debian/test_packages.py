"""The fast lazy index parser agrees with python-debian on every field it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from debian.deb822 import Packages
from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.debian.packages import PackagesIndex
from hardbake.errors import IntegrityError

_name = st.from_regex(r"[a-z0-9][a-z0-9+.-]{0,12}", fullmatch=True)
_version = st.from_regex(r"([1-9]:)?[0-9][0-9a-z.+~]{0,6}(-[0-9a-z.+~]{1,4})?", fullmatch=True)
_word = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@st.composite
def _stanza(draw: st.DrawFn) -> dict[str, str]:
    f = {
        "Package": draw(_name),
        "Version": draw(_version),
        "Architecture": draw(st.sampled_from(["amd64", "all"])),
    }
    if draw(st.booleans()):
        f["Depends"] = ", ".join(draw(st.lists(_word, min_size=1, max_size=4)))
    if draw(st.booleans()):
        f["Provides"] = ", ".join(draw(st.lists(_word, min_size=1, max_size=3)))
    if draw(st.booleans()):
        f["Source"] = f"{draw(_word)} ({draw(_version)})" if draw(st.booleans()) else draw(_word)
    f["Description"] = draw(_word) + "\n " + draw(_word) + "\n .\n " + draw(_word)
    f["Filename"] = f"pool/main/{f['Package']}.deb"
    f["Size"] = str(draw(st.integers(0, 10**9)))
    f["SHA256"] = "0" * 64
    return f


def _render(stanzas: list[dict[str, str]]) -> bytes:
    return "\n".join("".join(f"{k}: {v}\n" for k, v in s.items()) for s in stanzas).encode()


@settings(max_examples=60, deadline=None)
@given(st.lists(_stanza(), min_size=1, max_size=15))
def test_agrees_with_python_debian(stanzas: list[dict[str, str]]) -> None:
    data = _render(stanzas)
    idx = PackagesIndex.build(data, suite="s", repo="r", origin="test")
    theirs = list(Packages.iter_paragraphs(data.decode().splitlines(keepends=True), use_apt_pkg=False))
    assert len(idx) == len(theirs)
    for i, para in enumerate(theirs):
        rec = idx.record(i)
        assert rec.name == para["Package"] and str(rec.version) == para["Version"]
        assert rec.depends == para.get("Depends", "")
        assert rec.description == para["Description"].split("\n")[0]
        assert rec.source == para.get("Source", para["Package"]).split(" ")[0]
        assert idx.raw(i).decode().startswith(f"Package: {para['Package']}\n")
    for s in stanzas:
        assert s["Package"] in idx.by_name
        for prov in s.get("Provides", "").split(", "):
            if prov:
                assert any(idx.record(i).name == s["Package"] for i in idx.by_provides[prov])


def test_cache_round_trip_and_stale_cache(tmp_path: Path) -> None:
    data = _render([{"Package": "a", "Version": "1", "Architecture": "all", "Provides": "x"}])
    cache = tmp_path / "idx"
    first = PackagesIndex.open_cached(data, cache, suite="s", repo="r", origin="t")
    second = PackagesIndex.open_cached(data, cache, suite="s", repo="r", origin="t")
    assert second.by_provides == first.by_provides == {"x": [0]}
    other = data + b"\nPackage: b\nVersion: 2\nArchitecture: all\n"
    third = PackagesIndex.open_cached(other, cache, suite="s", repo="r", origin="t")  # stale: rebuilt
    assert third.names == {"a", "b"}


def test_not_an_index_is_refused() -> None:
    with pytest.raises(IntegrityError) as e:
        PackagesIndex.build(
            b"<html>mirror error page</html>\n", suite="s", repo="r", origin="http://x/Packages.gz"
        )
    assert "http://x/Packages.gz" in e.value.message


def test_malformed_stanza_is_named() -> None:
    idx = PackagesIndex.build(
        b"Package: a\nVersion: not a version\nArchitecture: all\n", suite="s", repo="r", origin="F"
    )
    with pytest.raises(IntegrityError) as e:
        idx.record(0)
    assert "F: stanza 1" in e.value.message and "not a version" in e.value.message
