"""YAML documents as position-carrying nodes, with limits that refuse YAML bombs.

PyYAML's composer builds a node graph in which an alias is a second reference to the same
node, so composing is linear in the text; the danger is what a consumer does next (walking
a "billion laughs" graph touches 10^9 nodes). Before anything walks a document, its
expanded size is counted over the graph with memoisation, and a document whose expansion
exceeds `MAX_EXPANDED` nodes, or whose aliases form a cycle, is refused. Nodes keep their
marks, so rewrites can replace exactly the characters of one scalar.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_EXPANDED = 200_000  # nodes after aliases are expanded: far above any real manifest
MAX_DOCUMENTS = 2_000
MAX_ALIASES = 10_000
MAX_DEPTH = 100


class YamlInvalid(ValueError):
    """Not YAML at all (a syntax error, a template)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class YamlRefused(ValueError):
    """YAML that would cost too much to use: a bomb, a cycle, too many documents."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def load(text: str) -> list[Node]:
    """Compose every document, refusing bombs; raise YamlInvalid / YamlRefused."""
    aliases = 0
    depth = 0
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels: refused", _line(ev))
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(ev, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    line = ev.start_mark.line + 1 if ev.start_mark else None
                    raise YamlRefused(
                        f"more than {MAX_ALIASES:,} aliases: refused as a likely YAML bomb", line
                    )
        docs = [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader) if d is not None]
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise YamlInvalid(f"not valid YAML: {e.problem or e}", line) from e
    except yaml.YAMLError as e:
        raise YamlInvalid(f"not valid YAML: {e}") from e
    except RecursionError as e:
        raise YamlRefused("nesting too deep: refused") from e
    if len(docs) > MAX_DOCUMENTS:
        raise YamlRefused(f"{len(docs):,} documents; at most {MAX_DOCUMENTS:,} are read")
    for d in docs:
        n = expanded_size(d)
        if n > MAX_EXPANDED:
            raise YamlRefused(
                f"aliases expand this document to {n:,}+ nodes (limit {MAX_EXPANDED:,}): refused as a "
                'YAML bomb ("billion laughs")',
                d.start_mark.line + 1,
            )
    return docs


def _line(ev: yaml.Event) -> int | None:
    return ev.start_mark.line + 1 if ev.start_mark else None


def expanded_size(root: Node) -> int:
    """Nodes a full walk would visit (aliases expanded), stopping early past the limit."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            size[key] = min(total, MAX_EXPANDED + 1)
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlRefused(
                "an alias refers to a node that contains it (a cycle): refused", node.start_mark.line + 1
            )
        on_path.add(key)
        stack.append((node, True))
        for c in _children(node):
            if id(c) not in size:
                stack.append((c, False))
    return size[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [x for kv in node.value for x in kv]
    return []


def items(node: Node | None) -> Iterator[tuple[str, Node]]:
    """A mapping's (key, value) pairs, merge keys (`<<: *base`) included; explicit keys win."""
    if not isinstance(node, MappingNode):
        return
    seen: set[str] = set()
    merged: list[Node] = []
    for k, v in node.value:
        key = k.value if isinstance(k, ScalarNode) else None
        if key == "<<" and k.tag == "tag:yaml.org,2002:merge":
            merged.extend(v.value if isinstance(v, SequenceNode) else [v])
            continue
        if isinstance(key, str):
            seen.add(key)
            yield key, v
    for m in merged:
        for key, v in items(m):
            if key not in seen:
                seen.add(key)
                yield key, v


def get(node: Node | None, key: str) -> Node | None:
    for k, v in items(node):
        if k == key:
            return v
    return None


def scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) and isinstance(node.value, str) else None


def seq(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def strings(node: Node | None) -> list[str] | None:
    """A sequence of scalars as strings, or None if it is not one."""
    if not isinstance(node, SequenceNode):
        return None
    out = [scalar(n) for n in node.value]
    return [s for s in out if s is not None] if all(s is not None for s in out) else None


def value_span(text: str, node: ScalarNode) -> tuple[int, int] | None:
    """Offsets of a scalar's characters inside its quotes (anchors and tags excluded).

    None when the scalar is written in a way a plain replacement cannot preserve (escapes,
    folded or multi-line scalars).
    """
    s, e = node.start_mark.index, node.end_mark.index
    raw = text[s:e]
    style = node.style
    if style in ("|", ">"):
        return None
    if style in ('"', "'"):
        q = raw.rfind(style, 0, len(raw) - 1)
        inner_start = s + q + 1 if q >= 0 else s
        if raw.endswith(style) and text[inner_start : e - 1] == node.value:
            return inner_start, e - 1
        return None
    i = raw.rfind(node.value)
    if i < 0 or "\n" in raw[i:]:
        return None
    return s + i, s + i + len(node.value)
