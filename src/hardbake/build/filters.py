"""File filters: documentation, manuals, info pages and translations out; copyright files in.

Runtime images keep no docs (the spec's `include:` can bring them back), but every
/usr/share/doc/<package>/copyright stays: it is the licence evidence an SBOM points at.
`exclude-paths` globs remove anything else a spec names.
"""

from __future__ import annotations

import fnmatch

from hardbake.build.rootfs import RootFS
from hardbake.spec.model import Include

# always dropped: packaging metadata that has no use in an image
_ALWAYS = ("usr/share/lintian/", "usr/share/bug/", "usr/share/doc-base/", "usr/share/menu/")


def dropped_by_filters(path: str, include: Include) -> bool:
    if path.startswith(_ALWAYS):
        return True
    if path.startswith("usr/share/doc/"):
        rest = path[len("usr/share/doc/") :]
        if not include.docs and "/" in rest and not rest.endswith("/copyright"):
            return True
    if not include.man and path.startswith("usr/share/man/"):
        return True
    if not include.info and path.startswith("usr/share/info/"):
        return True
    return not include.locales and path.startswith(("usr/share/locale/", "usr/share/i18n/locales/"))


def excluded(path: str, globs: list[str]) -> bool:
    """gitignore-like: the last matching glob decides; `!glob` keeps what an earlier one removed."""
    verdict = False
    for g in globs:
        if g.startswith("!"):
            if fnmatch.fnmatch("/" + path, g[1:]):
                verdict = False
        elif fnmatch.fnmatch("/" + path, g):
            verdict = True
    return verdict


def exclude(fs: RootFS, globs: list[str]) -> list[str]:
    """The spec's exclude-paths, applied last to every non-directory (whoever made it)."""
    if not globs:
        return []
    gone = [p for p, n in fs.tree.items() if n.kind != "dir" and excluded(p, globs)]
    for p in gone:
        del fs.tree[p]
    return sorted(gone)


def apply(fs: RootFS, include: Include, exclude_globs: list[str]) -> list[str]:
    """Remove filtered files (not directories that still hold something); returns removed paths."""
    removed: list[str] = []
    for path in sorted(fs.tree):
        node = fs.tree.get(path)
        if node is None or node.kind == "dir" or node.package is None:
            continue
        if dropped_by_filters(path, include) or excluded(path, exclude_globs):
            del fs.tree[path]
            removed.append(path)
    # directories emptied by the filters go too (deepest first), except the doc dirs of
    # packages whose copyright stayed
    for path in sorted(fs.tree, reverse=True):
        node = fs.tree[path]
        if node.kind != "dir" or node.package is None:
            continue
        if (dropped_by_filters(path + "/x", include) or excluded(path, exclude_globs)) and not any(
            p.startswith(path + "/") for p in fs.tree
        ):
            del fs.tree[path]
    return removed
