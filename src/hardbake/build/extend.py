"""Building an image that `extends:` another: the parent's layers unchanged, plus one layer.

The child is assembled in full (parent packages pinned to the parent's lock, plus its own),
then compared with the parent's tree: every path that is new or differs in kind, content,
link target, mode or owner goes into one new layer, and every path the child no longer has
becomes a whiteout. mtime-only differences are ignored (the two trees were clamped to
different SOURCE_DATE_EPOCHs), so everything else stays byte-identical to the parent.
"""

from __future__ import annotations

import posixpath

from hardbake.build.rootfs import Node, RootFS


def _same(a: Node, b: Node) -> bool:
    return (a.kind, a.mode, a.uid, a.gid, a.data, a.target) == (
        b.kind,
        b.mode,
        b.uid,
        b.gid,
        b.data,
        b.target,
    )


def diff(parent: RootFS, child: RootFS) -> tuple[list[Node], list[str]]:
    """(nodes for the new layer, paths to white out)."""
    changed = [n for p, n in child.tree.items() if p not in parent.tree or not _same(parent.tree[p], n)]
    gone = sorted(p for p in parent.tree if p not in child.tree)
    # white out only the top of each removed subtree
    tops = [p for p in gone if posixpath.dirname(p) not in set(gone)]
    # a new file needs its parent directories in the layer (unchanged ones as they are)
    present = {n.path for n in changed}
    for n in list(changed):
        d = posixpath.dirname(n.path)
        while d and d not in present:
            present.add(d)
            changed.append(child.tree[d])
            d = posixpath.dirname(d)
    return sorted(changed, key=lambda n: n.path), tops
