"""Kubernetes manifests (any number of documents): every container's image, wherever a pod
spec sits (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob, ...), its command and
probes checked against a shell-less runtime, and for families that listen elsewhere
(nginx: 80 -> 8080) the `containerPort`, probe ports, and the `targetPort` of Services in the
same file whose selector picks those pods.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hardbake.migrate import families as fam
from hardbake.migrate.model import FileKind, FileReport, Finding, ImageUse, Severity, UseKind
from hardbake.migrate.sources.interface import SourceContext
from hardbake.migrate.sources.yamledit import Collected, line_of, program_problem, replace_scalar, rewrite_use
from hardbake.migrate.textfile import TextFile
from hardbake.migrate.yamlsafe import get, items, scalar, seq, strings

CONTAINER_KEYS = ("containers", "initContainers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def is_kubernetes(docs: list[Node]) -> bool:
    return any(scalar(get(d, "apiVersion")) and scalar(get(d, "kind")) for d in docs)


@dataclass(frozen=True)
class _Moved:
    labels: dict[str, str]  # the pods' labels
    ports: dict[int, int]  # old -> new container port
    where: str


def analyse(tf: TextFile, rel: str, ctx: SourceContext, docs: list[Node]) -> FileReport:
    out = Collected()
    moved: list[_Moved] = []
    for doc in docs:
        kind = scalar(get(doc, "kind"))
        if not kind:
            continue
        name = scalar(get(get(doc, "metadata"), "name")) or "?"
        for labels, container in _containers(doc, _labels(doc)):
            cname = scalar(get(container, "name")) or "?"
            node = get(container, "image")
            image = scalar(node)
            if image is None or not isinstance(node, ScalarNode):
                continue
            ref, match = ctx.mapper.match_text(image)
            where = f"{kind}/{name} container {cname}"
            use = ImageUse(rel, line_of(node), UseKind.kubernetes, where, image, image, ref, match)
            out.uses.append(use)
            run_as = scalar(get(get(container, "securityContext"), "runAsUser"))
            root = "securityContext.runAsUser: 0" if run_as == "0" else None
            if rewrite_use(tf.text, use, node, ctx, _blockers(container), out, root):
                pmap = dict(fam.traits(match.family).port_map)
                if pmap and _ports(tf.text, container, use, pmap, out):
                    moved.append(_Moved(labels, pmap, where))
                if pmap:
                    _mounted_conf(container, use, pmap, out)
    if moved:
        _services(tf.text, rel, docs, moved, out)
    return FileReport(rel, FileKind.kubernetes, tuple(out.uses), tuple(out.findings), out.all_edits(rel))


def _labels(node: Node) -> dict[str, str]:
    return {k: scalar(v) or "" for k, v in items(get(get(node, "metadata"), "labels"))}


def _containers(node: Node, labels: dict[str, str]) -> list[tuple[dict[str, str], Node]]:
    """(pod labels, container) for every container list under node (bomb-checked before)."""
    found: list[tuple[dict[str, str], Node]] = []
    stack: list[tuple[Node, dict[str, str]]] = [(node, labels)]
    while stack:
        n, lab = stack.pop()
        if isinstance(n, MappingNode):
            if get(n, "metadata") is not None and get(n, "spec") is not None:
                lab = _labels(n) or lab
            for key, v in items(n):
                if key in CONTAINER_KEYS and isinstance(v, SequenceNode):
                    found.extend((lab, c) for c in v.value if isinstance(c, MappingNode))
                elif isinstance(v, MappingNode | SequenceNode):
                    stack.append((v, lab))
        elif isinstance(n, SequenceNode):
            stack.extend((c, lab) for c in n.value)
    found.sort(key=lambda lc: lc[1].start_mark.index)
    return found


def _blockers(container: Node) -> list[str]:
    found = []
    command = strings(get(container, "command"))
    # without a command, args is what runs in an image that has no ENTRYPOINT (hardened ones)
    problem = program_problem(
        command or strings(get(container, "args")) or [], "command" if command else "args"
    )
    if problem:
        found.append(problem)
    hooks = [get(get(container, "lifecycle"), h) for h in ("postStart", "preStop")]
    for what, probe in [*((p, get(container, p)) for p in PROBES), *(("lifecycle hook", h) for h in hooks)]:
        argv = strings(get(get(probe, "exec"), "command"))
        problem = program_problem(argv or [], what)
        if problem:
            found.append(problem)
    return found


def _ports(text: str, container: Node, use: ImageUse, pmap: dict[int, int], out: Collected) -> bool:
    changed = False
    targets: list[tuple[ScalarNode, str]] = []
    for p in seq(get(container, "ports")):
        n = get(p, "containerPort")
        if isinstance(n, ScalarNode):
            targets.append((n, "containerPort"))
    for probe in PROBES:
        for how in ("httpGet", "tcpSocket"):
            n = get(get(get(container, probe), how), "port")
            if isinstance(n, ScalarNode):
                targets.append((n, f"{probe}.{how}.port"))
    for n, what in targets:
        if str(n.value).isdigit() and int(n.value) in pmap:
            new = str(pmap[int(n.value)])
            changed |= _edit(
                text,
                n,
                new,
                f"{use.context}: {what} {n.value} -> {new} (the hardened {use.match.family} listens on {new})",
                use.file,
                out,
            )
    return changed


def _mounted_conf(container: Node, use: ImageUse, pmap: dict[int, int], out: Collected) -> None:
    dirs = fam.traits(use.match.family).conf_dirs
    for m in seq(get(container, "volumeMounts")):
        path = scalar(get(m, "mountPath")) or ""
        if any(path == d or path.startswith(d + "/") for d in dirs):
            out.findings.append(
                Finding(
                    use.file,
                    line_of(m),
                    Severity.warning,
                    "mounted-conf",
                    f"{use.context}: the configuration mounted at {path} may still listen on "
                    f"{', '.join(map(str, pmap))}; it must listen on {', '.join(map(str, pmap.values()))}",
                )
            )


def _services(text: str, rel: str, docs: list[Node], moved: list[_Moved], out: Collected) -> None:
    services = [d for d in docs if scalar(get(d, "kind")) == "Service"]
    for m in moved:
        hit = False
        for svc in services:
            selector = {k: scalar(v) or "" for k, v in items(get(get(svc, "spec"), "selector"))}
            if not selector or any(m.labels.get(k) != v for k, v in selector.items()):
                continue
            hit = True
            sname = scalar(get(get(svc, "metadata"), "name")) or "?"
            for p in seq(get(get(svc, "spec"), "ports")):
                target = get(p, "targetPort")
                port = get(p, "port")
                if (
                    isinstance(target, ScalarNode)
                    and str(target.value).isdigit()
                    and int(target.value) in m.ports
                ):
                    new = str(m.ports[int(target.value)])
                    _edit(
                        text,
                        target,
                        new,
                        f"Service/{sname}: targetPort {target.value} -> {new} (pods of {m.where})",
                        rel,
                        out,
                    )
                elif (
                    target is None
                    and isinstance(port, ScalarNode)
                    and str(port.value).isdigit()
                    and int(port.value) in m.ports
                ):
                    out.findings.append(
                        Finding(
                            rel,
                            line_of(port),
                            Severity.warning,
                            "port",
                            f"Service/{sname}: port {port.value} has no targetPort, so it sends to {port.value}; "
                            f"add `targetPort: {m.ports[int(port.value)]}` (pods of {m.where})",
                        )
                    )
        if not hit:
            out.findings.append(
                Finding(
                    rel,
                    1,
                    Severity.warning,
                    "port",
                    f"{m.where}: Services elsewhere that send to port {', '.join(map(str, m.ports))} of these pods must "
                    f"target {', '.join(map(str, m.ports.values()))} (or the port's name)",
                )
            )


def _edit(text: str, node: ScalarNode, new: str, message: str, file: str, out: Collected) -> bool:
    e = replace_scalar(text, node, new)
    if e is None:
        out.findings.append(
            Finding(
                file,
                line_of(node),
                Severity.warning,
                "port",
                f"{message}: needed, but cannot be replaced in place",
            )
        )
        return False
    out.edits.append(e)
    out.findings.append(Finding(file, line_of(node), Severity.change, "port", message))
    return True
