"""Compose files: each service's `image` (interpolated with the `.env` beside the file), its
command/entrypoint/healthcheck checked against a shell-less runtime, and the container side
of `ports` / `expose` moved for families that listen elsewhere (nginx: 80 -> 8080).

A service with `build:` names the image it builds with `image:`; that is not a base image,
so it is skipped (its Dockerfile is migrated on its own).
"""

from __future__ import annotations

import re
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from hardbake.migrate import families as fam
from hardbake.migrate.model import FileKind, FileReport, Finding, ImageUse, Severity, UseKind
from hardbake.migrate.ports import conf_edits, map_port_spec
from hardbake.migrate.sources.interface import SourceContext
from hardbake.migrate.sources.yamledit import Collected, line_of, program_problem, replace_scalar, rewrite_use
from hardbake.migrate.textfile import TextFile
from hardbake.migrate.yamlsafe import get, items, scalar, seq, strings

_VAR = re.compile(
    r"\$\$|\$(?:\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<w>[^}]*))?\}|(?P<n>[A-Za-z_][A-Za-z0-9_]*))"
)


def is_compose(docs: list[Node]) -> bool:
    services = get(docs[0], "services") if docs else None
    return isinstance(services, MappingNode) and all(isinstance(v, MappingNode) for _, v in items(services))


def analyse(tf: TextFile, rel: str, ctx: SourceContext, docs: list[Node]) -> FileReport:
    out = Collected()
    env = dotenv(tf.path.parent / ".env")
    found: list[tuple[Node, ScalarNode, ImageUse, list[str]]] = []
    for name, svc in items(get(docs[0], "services")):
        node = get(svc, "image")
        image = scalar(node)
        if image is None or not isinstance(node, ScalarNode) or get(svc, "build") is not None:
            continue
        resolved = interpolate(image, env)
        ref, match = ctx.mapper.match_text(resolved)
        use = ImageUse(rel, line_of(node), UseKind.compose, f"service {name}", image, resolved, ref, match)
        out.uses.append(use)
        found.append((svc, node, use, _blockers(svc)))
    done: set[int] = set()
    for svc, node, use, blockers in found:
        # an image written once under a YAML anchor serves every service that merges it: it moves
        # only if all of them can
        sharing = [f for f in found if f[1] is node]
        others = [f[2].context for f in sharing if f[3] and f[2] is not use]
        if others and not blockers:
            blockers = [
                f"its image (line {use.line}) is shared through a YAML anchor with {', '.join(others)}, which cannot move"
            ]
        if id(node) in done and not blockers:
            _ports(tf.text, svc, use, out)
            _mounted_conf(svc, use, tf.path.parent, ctx, out)
            continue
        user = scalar(get(svc, "user"))
        root = f"user: {user}" if user and user.split(":")[0] in ("root", "0") else None
        if rewrite_use(tf.text, use, node, ctx, blockers, out, root):
            done.add(id(node))
            _ports(tf.text, svc, use, out)
            _mounted_conf(svc, use, tf.path.parent, ctx, out)
    return FileReport(rel, FileKind.compose, tuple(out.uses), tuple(out.findings), out.all_edits(rel))


def _blockers(svc: Node) -> list[str]:
    found = []
    for key in ("entrypoint", "command"):
        node = get(svc, key)
        argv = strings(node)
        if argv is None and scalar(node) is not None:
            argv = (
                scalar(node) or ""
            ).split()  # Compose splits a string with shell-like rules, runs no shell
        problem = program_problem(argv or [], key)
        if problem:
            found.append(problem)
    hc = get(svc, "healthcheck")
    test = get(hc, "test")
    argv = strings(test)
    if scalar(test) is not None:
        found.append("healthcheck test is a string, which Compose runs with a shell (CMD-SHELL)")
    elif argv and argv[0] == "CMD-SHELL":
        found.append("healthcheck uses CMD-SHELL, which needs a shell")
    elif argv and argv[0] == "CMD":
        problem = program_problem(argv[1:], "healthcheck")
        if problem:
            found.append(problem)
    return found


def _ports(text: str, svc: Node, use: ImageUse, out: Collected) -> None:
    pmap = dict(fam.traits(use.match.family).port_map)
    if not pmap:
        return
    for item in seq(get(svc, "ports")):
        if isinstance(item, ScalarNode):
            new = map_port_spec(str(item.value), pmap)
            if new is not None:
                _edit(text, item, new, use, f"ports {item.value} -> {new}", out)
        elif isinstance(item, MappingNode):
            target = get(item, "target")
            if isinstance(target, ScalarNode) and str(target.value).isdigit() and int(target.value) in pmap:
                new = str(pmap[int(target.value)])
                _edit(text, target, new, use, f"ports target {target.value} -> {new}", out)
    for item in seq(get(svc, "expose")):
        if isinstance(item, ScalarNode):
            new = map_port_spec(str(item.value), pmap)
            if new is not None:
                _edit(text, item, new, use, f"expose {item.value} -> {new}", out)


def _mounted_conf(svc: Node, use: ImageUse, here: Path, ctx: SourceContext, out: Collected) -> None:
    """Bind-mounted configuration of a family that moved its port: rewrite `listen 80` in it."""
    traits = fam.traits(use.match.family)
    if not traits.conf_listen or not traits.conf_dirs:
        return
    root = ctx.root if ctx.root.is_dir() else ctx.root.parent
    for item in seq(get(svc, "volumes")):
        if isinstance(item, ScalarNode):
            parts = str(item.value).split(":")
            source, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
        else:
            source, target = scalar(get(item, "source")) or "", scalar(get(item, "target")) or ""
        if not any(target == d or target.startswith(d + "/") for d in traits.conf_dirs):
            continue
        line = line_of(item)
        if not source.startswith((".", "/")):
            out.findings.append(
                Finding(
                    use.file,
                    line,
                    Severity.warning,
                    "mounted-conf",
                    f"{use.context}: volume {source} holds configuration that may still listen on {', '.join(str(p) for p, _ in traits.port_map)}; it must listen on {', '.join(str(n) for _, n in traits.port_map)}",
                )
            )
            continue
        hits = list(conf_edits(root, here, [source], traits.conf_listen, traits.port_map))
        for rel, edits, msg in hits:
            out.other.setdefault(rel, []).extend(edits)
            out.findings.append(Finding(use.file, line, Severity.change, "port", f"{use.context}: {msg}"))
        if not hits and not (here / source).exists():
            out.findings.append(
                Finding(
                    use.file,
                    line,
                    Severity.warning,
                    "mounted-conf",
                    f"{use.context}: {source} is not in the scanned tree; if it listens on port {', '.join(str(p) for p, _ in traits.port_map)}, change it to {', '.join(str(n) for _, n in traits.port_map)}",
                )
            )


def _edit(text: str, node: ScalarNode, new: str, use: ImageUse, what: str, out: Collected) -> None:
    e = replace_scalar(text, node, new)
    line = line_of(node)
    if e is None:
        out.findings.append(
            Finding(
                use.file,
                line,
                Severity.warning,
                "port",
                f"{use.context}: {what} needed, but the value cannot be replaced in place",
            )
        )
        return
    out.edits.append(e)
    out.findings.append(
        Finding(
            use.file,
            line,
            Severity.change,
            "port",
            f"{use.context}: {what} (the hardened {use.match.family} listens on {new.split(':')[-1].split('/')[0]})",
        )
    )


def interpolate(text: str, env: dict[str, str]) -> str | None:
    """Compose variable interpolation; None if a variable without a default has no value."""
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        if m.group(0) == "$$":
            return "$"
        name = m.group("b") or m.group("n")
        op, word = m.group("op"), m.group("w") or ""
        value = env.get(name)
        if op in (":-", "-"):
            return value if value is not None and (op == "-" or value) else word
        if op in (":+", "+"):
            return word if value is not None and (op == "+" or value) else ""
        if value is None:
            missing = True
            return ""
        return value

    out = _VAR.sub(sub, text)
    return None if missing else out


def dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a Compose `.env` file (comments, `export`, quotes); {} if absent."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 1 << 20:
            return {}
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    env: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        env[key.strip()] = value
    return env
