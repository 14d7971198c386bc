"""`docker run` command lines (in shell scripts or text files) -> containers.

Hand-written because no Python library parses the Docker CLI's flags; this follows the CLI's
own rules (cli/command/container/opts.go with spf13/pflag): long flags as `--flag value` or
`--flag=value`, short flags as `-m 512m` or `-m512m`, booleans combinable (`-dit`) and
settable with `=false`, the first non-flag argument is the image and the rest is the
container's command. `docker container run`, `podman run`, `sudo`/`exec`/`env`/`nohup`
prefixes, leading `VAR=x` assignments, global flags before `run` (`-H`, `--context`),
backslash continuations and `;`, `&&`, `||`, `|` separators are understood. An unknown
flag is recorded as a note: the Docker CLI would refuse the line.
"""

from __future__ import annotations

import shlex
from typing import Any

from hardbake.policy.model import Container, Location, Mount, Resources, SourceKind, Tmpfs, Workload
from hardbake.policy.sources import dockeropts as d
from hardbake.policy.sources.docker_flags import ALIASES, BOOL, GLOBAL_VALUE, SHORT, VALUE

#: wrappers that may stand before `docker`, with their flags that take a value
_PREFIXES: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
    "exec": frozenset({"-a"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "command": frozenset(),
    "timeout": frozenset({"-s", "-k"}),
}
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "\n"}


def parse_args(args: list[str]) -> tuple[dict[str, list[str]], str | None, list[str], list[str]]:
    """Flags after `run` -> (options, image, command, notes), as the Docker CLI reads them."""
    opts: dict[str, list[str]] = {}
    notes: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            name = ALIASES.get(name, name)
            if name in BOOL:
                opts.setdefault(name, []).append(val if eq else "true")
            elif name in VALUE:
                if not eq:
                    i += 1
                    if i >= len(args):
                        notes.append(f"flag --{name} needs an argument")
                        break
                    val = args[i]
                opts.setdefault(name, []).append(val)
            else:
                notes.append(f"unknown flag --{name}: the Docker CLI would refuse this line")
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                long = SHORT.get(a[j])
                if long is None:
                    notes.append(f"unknown shorthand flag -{a[j]}: the Docker CLI would refuse this line")
                    break
                if long in BOOL:
                    if j + 1 < len(a) and a[j + 1] == "=":
                        opts.setdefault(long, []).append(a[j + 2 :])
                        break
                    opts.setdefault(long, []).append("true")
                    j += 1
                    continue
                rest = a[j + 1 :]
                if rest.startswith("="):
                    rest = rest[1:]
                if not rest:
                    i += 1
                    if i >= len(args):
                        notes.append(f"flag -{a[j]} needs an argument")
                        break
                    rest = args[i]
                opts.setdefault(long, []).append(rest)
                break
            i += 1
            continue
        break
    image = args[i] if i < len(args) else None
    if image is None:
        notes.append(
            "docker run names no image: the Docker CLI would refuse this line (a comment inside a "
            "backslash continuation ends the command)"
        )
    return opts, image, args[i + 1 :] if image else [], notes


def _flag_true(opts: dict[str, list[str]], name: str) -> bool:
    v = opts.get(name) or []
    return bool(v) and v[-1].strip().lower() not in ("false", "0")


def container_from_args(args: list[str], file: str, line: int, text: str) -> tuple[Container, dict[str, Any]]:
    opts, image, command, notes = parse_args(args)
    where = Location(file, line)
    user = opts["user"][-1] if "user" in opts else None
    u = d.parse_user(user) if user else None
    sec = d.parse_security_opts(opts.get("security-opt", []))
    privileged = _flag_true(opts, "privileged")
    seccomp = "Unconfined" if privileged else (sec.seccomp or "RuntimeDefault")
    allow_pe: bool | None = None if sec.no_new_privileges is None else not sec.no_new_privileges
    if privileged:
        allow_pe = True
    mounts: list[Mount] = []
    tmpfs: list[Tmpfs] = [d.parse_tmpfs(t) for t in opts.get("tmpfs", [])]
    for v in opts.get("volume", []):
        m = d.parse_volume(v)
        if m:
            mounts.append(m)
    for spec in opts.get("mount", []):
        m2, t = d.parse_mount(spec)
        if m2:
            mounts.append(m2)
        if t:
            tmpfs.append(t)
    log_opts = dict(o.partition("=")[::2] for o in opts.get("log-opt", []))
    driver = opts["log-driver"][-1] if "log-driver" in opts else None
    storage = dict(o.partition("=")[::2] for o in opts.get("storage-opt", []))
    pids = opts["pids-limit"][-1] if "pids-limit" in opts else None
    if pids is not None and pids.strip() in ("0", "-1"):
        pids = None
    health: bool | None = None
    if _flag_true(opts, "no-healthcheck"):
        health = False
    elif "health-cmd" in opts:
        health = True
    network = opts.get("network", [""])[-1]

    def last(name: str) -> str | None:
        v = opts.get(name)
        return v[-1] if v else None

    cpu = last("cpus") or last("cpu-quota")
    name = last("name") or (image or "?")
    c = Container(
        source=SourceKind.docker_run,
        file=file,
        workload=f"docker run (line {line})",
        name=name,
        where=where,
        image=image,
        user=user,
        run_as_user=u.uid if u else None,
        run_as_group=u.gid if u else None,
        allow_privilege_escalation=allow_pe,
        privileged=privileged,
        cap_add=d.normalise_caps(opts.get("cap-add", [])),
        cap_drop=d.normalise_caps(opts.get("cap-drop", [])),
        host_network=network == "host",
        host_pid=last("pid") == "host",
        host_ipc=last("ipc") == "host",
        seccomp=seccomp,
        read_only_root=_flag_true(opts, "read-only"),
        tmpfs=tuple(tmpfs),
        mounts=tuple(mounts),
        resources=Resources(
            None,
            cpu,
            last("memory-reservation"),
            last("memory"),
            None,
            storage.get("size"),
            pids,
            last("memory-swap"),
        ),
        healthcheck=health,
        restart=last("restart"),
        log_driver=driver,
        log_rotation=d.log_rotation(driver, log_opts),
        raw=opts,
        notes=(*notes, *sec.problems),
    )
    doc = {"command": text, "options": opts, "image": image, "args": command}
    return c, doc


def _logical_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = n
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(raw)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def _commands(tokens: list[str]) -> list[list[str]]:
    cmds: list[list[str]] = [[]]
    for t in tokens:
        if t in _SEPARATORS or (t and set(t) <= set("();<>|&")):
            cmds.append([])
        else:
            cmds[-1].append(t)
    return [c for c in cmds if c]


def _run_args(cmd: list[str]) -> list[str] | None:
    """The arguments after `run` if `cmd` is a docker/podman run, else None."""
    i = 0
    while i < len(cmd):
        word = cmd[i]
        if "=" in word and not word.startswith("-"):
            i += 1  # VAR=value assignment
        elif word in _PREFIXES:
            takes_value = _PREFIXES[word]
            i += 1
            while i < len(cmd) and cmd[i].startswith("-"):
                i += 2 if cmd[i] in takes_value else 1
            if word == "timeout" and i < len(cmd):
                i += 1  # the duration
        else:
            break
    if i >= len(cmd) or cmd[i].rsplit("/", 1)[-1] not in ("docker", "podman"):
        return None
    i += 1
    while i < len(cmd) and cmd[i].startswith("-"):
        i += 2 if (cmd[i] in GLOBAL_VALUE and "=" not in cmd[i]) else 1
    if i < len(cmd) and cmd[i] == "container":
        i += 1
    if i < len(cmd) and cmd[i] == "run":
        return cmd[i + 1 :]
    return None


def find_runs(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, logical line text, args after `run`) for each docker run in a shell-like text."""
    found: list[tuple[int, str, list[str]]] = []
    for line, logical in _logical_lines(text):
        if "run" not in logical or ("docker" not in logical and "podman" not in logical):
            continue
        lexer = shlex.shlex(logical, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:
            continue  # unbalanced quotes: not a line the shell would run either
        for cmd in _commands(tokens):
            args = _run_args(cmd)
            if args is not None:
                found.append((line, logical.strip(), args))
    return found


def load(text: str, file: str) -> list[Workload]:
    out: list[Workload] = []
    for line, logical, args in find_runs(text):
        c, doc = container_from_args(args, file, line, logical)
        out.append(Workload(SourceKind.docker_run, file, c.workload, doc, (c,), c.where))
    return out
