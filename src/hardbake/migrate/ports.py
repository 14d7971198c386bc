"""Port changes: the hardened nginx and httpd listen on 8080 (a non-root user cannot bind 80
everywhere), so what names their port moves with them: EXPOSE, Compose `ports`, Kubernetes
`containerPort`, and the `listen 80` / `Listen 80` lines of configuration files a Dockerfile
copies into the image.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from hardbake.migrate.model import Edit
from hardbake.migrate.textfile import NotText, read_text

MAX_CONF_FILES = 200
MAX_CONF_BYTES = 1 << 20

_LISTEN = {
    "nginx": re.compile(r"(?m)^(?P<pre>[ \t]*listen[ \t]+(?:\S*:)?)(?P<port>\d+)(?=[ \t;])"),
    "httpd": re.compile(
        r"(?mi)^(?P<pre>[ \t]*(?:Listen[ \t]+(?:\S*:)?|<VirtualHost[ \t]+[^>:]*:))(?P<port>\d+)(?=[\s>])"
    ),
}


def conf_edits(
    root: Path, context: Path, sources: Sequence[str], kind: str, port_map: Sequence[tuple[int, int]]
) -> Iterator[tuple[str, list[Edit], str]]:
    """(file relative to root, edits, message) for each copied configuration file that names a mapped port."""
    pattern = _LISTEN[kind]
    pmap = dict(port_map)
    for path in _files(root, context, sources):
        try:
            tf = read_text(path, MAX_CONF_BYTES, "configuration file")
        except (NotText, OSError):
            continue
        edits: list[Edit] = []
        ports = []
        for m in pattern.finditer(tf.text):
            port = int(m.group("port"))
            if port in pmap:
                edits.append(Edit(m.start("port"), m.end("port"), str(pmap[port])))
                ports.append(port)
        if edits:
            rel = path.relative_to(root).as_posix()
            pairs = ", ".join(sorted({f"{p} -> {pmap[p]}" for p in ports}))
            yield (
                rel,
                edits,
                f"{rel}: listen {pairs} (the hardened {kind} runs as non-root on {pmap[ports[0]]})",
            )


def _files(root: Path, context: Path, sources: Sequence[str]) -> Iterator[Path]:
    """Configuration files among COPY sources, inside root, never through a symlink."""
    root_r = root.resolve()
    count = 0
    for src in sources:
        if src.startswith("--") or "://" in src or any(c in src for c in "*?[$"):
            continue
        p = context / src
        try:
            if p.is_symlink() or not p.resolve().is_relative_to(root_r):
                continue
        except OSError:
            continue
        if p.is_file():
            candidates = [p] if p.suffix == ".conf" or "nginx" in p.name or "httpd" in p.name else []
        elif p.is_dir():
            candidates = sorted(q for q in p.rglob("*.conf") if q.is_file() and not q.is_symlink())
        else:
            candidates = []
        for q in candidates:
            count += 1
            if count > MAX_CONF_FILES:
                return
            yield q


def map_port_spec(spec: str, pmap: dict[int, int]) -> str | None:
    """Compose short syntax `[HOST:][PUBLISHED:]TARGET[/PROTO]`: the container port moved, or None."""
    body, slash, proto = spec.partition("/")
    head, colon, target = body.rpartition(":")
    if not target.isdigit() or int(target) not in pmap:
        return None
    if not colon:
        # "80" alone publishes a random host port for container port 80
        return f"{pmap[int(target)]}{slash}{proto}"
    return f"{head}{colon}{pmap[int(target)]}{slash}{proto}"
