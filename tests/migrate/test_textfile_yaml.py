"""Byte-exact text round trips and edits; YAML limits and in-place scalar spans."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hardbake.migrate.model import Edit
from hardbake.migrate.textfile import NotText, apply_edits, decode, overlapping, read_text
from hardbake.migrate.yamlsafe import YamlInvalid, YamlRefused, get, items, load, scalar, value_span


@given(st.text())
def test_decode_encode_round_trip(text: str) -> None:
    data = text.encode("utf-8", "ignore")
    if b"\x00" in data[:8192]:
        return
    assert decode(data, "file").encode() == data
    assert apply_edits(decode(data, "file"), []).encode() == data


@given(st.text(min_size=1), st.data())
def test_edits_touch_only_their_span(text: str, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    new = apply_edits(text, [Edit(a, b, "<X>")])
    assert new == text[:a] + "<X>" + text[b:]


def test_overlaps_are_found_and_duplicates_count_once() -> None:
    assert overlapping([Edit(0, 5, "a"), Edit(3, 8, "b")]) is not None
    assert overlapping([Edit(0, 5, "a"), Edit(5, 8, "b")]) is None
    assert overlapping([Edit(2, 2, "a"), Edit(2, 2, "b")]) is not None
    assert apply_edits("hello", [Edit(0, 1, "J"), Edit(0, 1, "J")]) == "Jello"


def test_not_text(tmp_path: Path) -> None:
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"FROM x\n\x00\x00")
    with pytest.raises(NotText, match="binary data"):
        read_text(p, 1000, "Dockerfile")
    p.write_bytes(b"FROM x\n" + b"#" * 2000)
    with pytest.raises(NotText, match="larger than"):
        read_text(p, 1000, "Dockerfile")
    p.write_bytes(b"FROM \xff\n")
    with pytest.raises(NotText, match="not UTF-8 text"):
        read_text(p, 1000, "Dockerfile")


def test_crlf_newline_detection(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"a\r\nb\r\n")
    assert read_text(p, 100, "f").newline == "\r\n"
    p.write_bytes(b"a\nb\n")
    assert read_text(p, 100, "f").newline == "\n"


def _bomb(levels: int, width: int) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_bombs_and_cycles_are_refused() -> None:
    with pytest.raises(YamlRefused, match="billion laughs"):
        load(_bomb(9, 10))
    load(_bomb(3, 10))  # a few hundred nodes after expansion: fine
    with pytest.raises(YamlRefused, match="cycle"):
        load("a: &a [1, *a]\n")
    with pytest.raises(YamlRefused, match="nested deeper"):
        load("[" * 5000 + "]" * 5000)
    with pytest.raises(YamlRefused, match="aliases"):
        load("a: &a 1\nb: [" + ", ".join(["*a"] * 10_001) + "]\n")


def test_invalid_yaml() -> None:
    with pytest.raises(YamlInvalid) as e:
        load("a: [\n")
    assert e.value.line == 2


def test_merge_keys() -> None:
    (doc,) = load("base: &b {image: node:20, x: 1}\nsvc:\n  <<: *b\n  x: 2\n")
    svc = get(doc, "svc")
    assert {k: scalar(v) for k, v in items(svc)} == {"x": "2", "image": "node:20"}


@pytest.mark.parametrize(
    ("src", "inner"),
    [
        ("image: node:20\n", "node:20"),
        ("image: 'node:20'\n", "node:20"),
        ('image: "node:20"   # c\n', "node:20"),
        ("image: &img node:20\n", "node:20"),
        ("image: !!str node:20\n", "node:20"),
        ("port: 80\n", "80"),
    ],
)
def test_value_span(src: str, inner: str) -> None:
    (doc,) = load(src)
    node = next(v for _, v in items(doc))
    s, e = value_span(src, node)  # type: ignore[arg-type,misc]
    assert src[s:e] == inner


def test_value_span_refuses_styles_it_cannot_preserve() -> None:
    for src in ('image: "node:\\u00320"\n', "image: >\n  node:20\n", "image: |\n  node:20\n"):
        (doc,) = load(src)
        node = next(v for _, v in items(doc))
        assert value_span(src, node) is None  # type: ignore[arg-type]


def test_tags_are_never_constructed() -> None:
    """Documents are only composed (nodes with positions): a python/object tag stays text."""
    (doc,) = load("a: !!python/object/apply:os.system [touch /tmp/pwned]\n")
    node = get(doc, "a")
    assert isinstance(node, yaml.SequenceNode) and node.tag.startswith("tag:yaml.org,2002:python/")
