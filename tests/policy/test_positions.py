"""JSON paths map to the lines PyYAML's marks give, for any YAML structure."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.policy.positions import json_path, load_documents

keys = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
scalars = st.one_of(st.integers(-5, 5), st.booleans(), st.text(alphabet="abc xyz", max_size=6))
trees = st.recursive(
    scalars,
    lambda ch: st.one_of(st.lists(ch, max_size=3), st.dictionaries(keys, ch, max_size=3)),
    max_leaves=15,
)


def _key_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(((*path, k), k))
            out += _key_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _key_paths(v, (*path, i))
    return out


@settings(max_examples=150, deadline=None)
@given(
    docs=st.lists(st.dictionaries(keys, trees, min_size=1, max_size=4), min_size=1, max_size=3),
    flow=st.booleans(),
)
def test_each_key_line_holds_the_key(docs: list[dict[str, Any]], flow: bool) -> None:
    text = yaml.safe_dump_all(docs, default_flow_style=flow, sort_keys=False)
    lines = text.splitlines()
    loaded = list(load_documents(text, "x.yaml"))
    assert [v for v, _ in loaded] == docs
    for doc, (_, pos) in zip(docs, loaded, strict=True):
        for path, key in _key_paths(doc):
            line = pos.line(path)
            assert key in lines[line - 1], (path, line, text)


def test_missing_paths_fall_back_to_the_nearest_ancestor() -> None:
    [(_, pos)] = load_documents("a:\n  b:\n    c: 1\n", "x.yaml")
    assert pos.line(("a", "b", "zzz", 3)) == 2
    assert json_path(("spec", "containers", 0, "odd.key")) == '$.spec.containers[0]["odd.key"]'


def test_alias_bombs_do_not_explode() -> None:
    import time

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "\n".join(levels) + "\n"
    t0 = time.perf_counter()
    [(_, pos)] = load_documents(text, "bomb.yaml")
    assert time.perf_counter() - t0 < 2
    assert pos.line(("a8",)) == 9 and pos.line(("a8", 0)) == 8  # an alias points at its anchor
