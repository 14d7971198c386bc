"""update-alternatives, emulated: the links packages' postinst scripts would have made.

Two sources, both data (nothing is executed):
* literal `update-alternatives --install LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...`
  lines in postinst scripts (variables make a line unusable; those are skipped);
* Java's `.jinfo` files (/usr/lib/jvm/.<name>.jinfo), which list every program of a JVM and
  which openjdk's postinst feeds to update-alternatives in a loop.
For each alternative NAME the highest priority whose PATH exists in the image wins, giving
LINK -> /etc/alternatives/NAME -> PATH, exactly the shape Debian leaves behind.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from hardbake.build.rootfs import Node, RootFS


@dataclass(frozen=True)
class Alternative:
    link: str
    name: str
    path: str
    priority: int
    package: str


def from_postinst(script: bytes, package: str) -> list[Alternative]:
    out: list[Alternative] = []
    text = script.decode(errors="replace").replace("\\\n", " ")
    for line in text.splitlines():
        if "update-alternatives" not in line or "--install" not in line:
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if any("$" in w or "`" in w for w in words):
            continue
        try:
            i = words.index("--install")
            link, name, path, prio = words[i + 1 : i + 5]
            out.append(Alternative(link, name, path, int(prio), package))
        except (ValueError, IndexError):
            continue
        j = i + 5
        while j + 3 < len(words) + 0 and words[j] == "--slave":
            out.append(Alternative(words[j + 1], words[j + 2], words[j + 3], int(prio), package))
            j += 4
    return out


_JINFO_PRIORITY = re.compile(r"^priority=(\d+)", re.M)


def from_jinfo(fs: RootFS) -> list[Alternative]:
    out = []
    for path, node in sorted(fs.tree.items()):
        if not (path.startswith("usr/lib/jvm/.") and path.endswith(".jinfo")) or node.data is None:
            continue
        text = node.data.decode(errors="replace")
        m = _JINFO_PRIORITY.search(text)
        prio = int(m.group(1)) if m else 0
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] in ("jre", "jre-headless", "hl", "jdk", "jdkhl"):
                _, name, target = parts
                out.append(Alternative(f"/usr/bin/{name}", name, target, prio, node.package or ""))
    return out


def apply(fs: RootFS, alternatives: list[Alternative], mtime: int) -> list[Alternative]:
    """Create the winning links; returns the alternatives that were applied."""
    best: dict[str, Alternative] = {}
    for alt in alternatives:
        if fs.resolve(alt.path) is None:
            continue  # target filtered out or not installed
        cur = best.get(alt.name)
        if cur is None or (alt.priority, alt.path) > (cur.priority, cur.path):
            best[alt.name] = alt
    applied = []
    for name in sorted(best):
        alt = best[name]
        link = alt.link.lstrip("/")
        if fs.exists(link) and fs.get(link).kind != "symlink":  # type: ignore[union-attr]
            continue  # a real file owns the name; never replace it
        for p, target in ((f"etc/alternatives/{name}", alt.path), (link, f"/etc/alternatives/{name}")):
            fs.remove(p)
            parent = posixpath.dirname(p)
            if parent and not fs.exists(parent):
                fs.put(Node(parent, "dir", 0o755, mtime=mtime))
            fs.put(Node(p, "symlink", 0o777, mtime=mtime, target=target))
        applied.append(alt)
    return applied
