"""Docker Engine option semantics shared by the Compose and `docker run` sources.

What the engine does with what a user writes: user strings, `--security-opt` values, tmpfs
options (the engine mounts every tmpfs `noexec,nosuid,nodev` unless told `exec`, `suid` or
`dev`; moby daemon/oci_linux.go setMounts), volume specs, capability names (`CAP_` prefix
optional, case-insensitive), log drivers that rotate on their own.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from hardbake.policy.model import Mount, Tmpfs
from hardbake.policy.sources.kubernetes import exposes_runtime_socket

#: drivers that keep no unbounded local file (`local` rotates by default: 5 x 20 MB)
SELF_ROTATING_LOG_DRIVERS = frozenset(
    {
        "local",
        "journald",
        "syslog",
        "gelf",
        "fluentd",
        "awslogs",
        "splunk",
        "etwlogs",
        "gcplogs",
        "logentries",
        "none",
    }
)
#: host directories whose mount hands the container the host (CIS Docker Benchmark 1.6, 5.6)
SENSITIVE_HOST_DIRS = frozenset(
    {
        "/",
        "/boot",
        "/dev",
        "/etc",
        "/lib",
        "/lib64",
        "/proc",
        "/sys",
        "/usr",
        "/bin",
        "/sbin",
        "/root",
        "/var/lib/docker",
        "/var/lib/kubelet",
        "/var/lib/containerd",
    }
)
_SENSITIVE_RW_TREES = ("/etc", "/boot", "/proc", "/sys", "/usr", "/lib", "/root", "/var/lib/docker")
_TMPFS_DEFAULTS = frozenset({"noexec", "nosuid", "nodev"})
_OPPOSITES = {"exec": "noexec", "suid": "nosuid", "dev": "nodev"}
_OPT = re.compile(r"^([^=:]+)(?:([=:])(.*))?$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(text: str) -> str:
    """Compose interpolation with defaults only: `${X:-512m}` -> `512m`; unknown `${X}` kept.

    The environment of the machine running the check is deliberately not read: a check must
    give the same answer on a laptop and in CI.
    """
    if "$" not in text:
        return text
    out = _VAR.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(0), text)
    return out.replace("$$", "$")


@dataclass(frozen=True)
class User:
    text: str
    uid: int | None  # None: a name we cannot resolve (not root)
    gid: int | None
    root: bool
    root_group: bool
    numeric: bool


def parse_user(text: str) -> User:
    """`0`, `root`, `0:0`, `root:root`, `1000:1000`, `app` -> what the engine will run as."""
    name, _, group = text.strip().partition(":")
    uid = int(name) if name.isdigit() else None
    gid = int(group) if group.isdigit() else None
    root = uid == 0 or name == "root"
    root_group = gid == 0 or group == "root" or (not group and root)
    return User(
        text, 0 if name == "root" else uid, 0 if group == "root" else gid, root, root_group, uid is not None
    )


@dataclass(frozen=True)
class SecurityOpts:
    no_new_privileges: bool | None
    seccomp: str | None  # None when the engine's default profile applies (RuntimeDefault)
    problems: tuple[str, ...]


def parse_security_opts(values: list[str]) -> SecurityOpts:
    nnp: bool | None = None
    seccomp: str | None = None
    problems: list[str] = []
    for raw in values:
        m = _OPT.match(raw.strip())
        if m is None:
            continue
        key, sep, val = m.group(1).strip(), m.group(2) or "", m.group(3) or ""
        if key == "no-new-privileges":
            if not sep or val.strip().lower() in ("true", "1"):
                nnp = True
            elif val.strip().lower() in ("false", "0"):
                nnp = False
            else:
                problems.append(f"security-opt {raw!r}: no-new-privileges takes true or false")
        elif key == "seccomp":
            v = val.strip()
            seccomp = "Unconfined" if v == "unconfined" else "Localhost"
    return SecurityOpts(nnp, seccomp, tuple(problems))


def tmpfs_from_options(target: str, opts: list[str]) -> Tmpfs:
    effective = set(_TMPFS_DEFAULTS)
    size: str | None = None
    for o in (x.strip() for x in opts if x.strip()):
        if o.startswith("size="):
            size = o[5:]
        elif o in _OPPOSITES:
            effective.discard(_OPPOSITES[o])
        elif o in _TMPFS_DEFAULTS:
            effective.add(o)
    return Tmpfs(target, frozenset(effective), size)


def parse_tmpfs(spec: str) -> Tmpfs:
    """`/tmp:size=100m,noexec` (Docker's --tmpfs and Compose's `tmpfs:`)."""
    target, _, opts = spec.partition(":")
    return tmpfs_from_options(target, opts.split(","))


def parse_volume(spec: str) -> Mount | None:
    """A `-v`/Compose short volume: only host paths (binds) are returned."""
    parts = spec.split(":")
    if len(parts) < 2:
        return None
    source, target = parts[0], parts[1]
    if not (source.startswith(("/", ".", "~")) or source.startswith("${")):
        return None  # a named volume
    opts = parts[2].split(",") if len(parts) > 2 else []
    return Mount(source, target, "ro" in opts or "readonly" in opts)


def parse_mount(spec: str) -> tuple[Mount | None, Tmpfs | None]:
    """`--mount type=bind,source=/x,target=/y,readonly` / `type=tmpfs,target=/t,tmpfs-size=1m`."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        k, _, v = part.partition("=")
        fields[k.strip().lower()] = v.strip()
    kind = fields.get("type", "volume")
    target = fields.get("target") or fields.get("destination") or fields.get("dst") or ""
    if kind == "bind":
        src = fields.get("source") or fields.get("src") or ""
        ro = "readonly" in fields or "ro" in fields
        if fields.get("readonly", "").lower() in ("false", "0"):
            ro = False
        return Mount(src, target, ro), None
    if kind == "tmpfs":
        size = fields.get("tmpfs-size")
        return None, Tmpfs(target, _TMPFS_DEFAULTS, size or None)
    return None, None


def normalise_caps(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        for c in str(v).split(","):
            c = c.strip().upper().removeprefix("CAP_")
            if c:
                out.append(c)
    return tuple(out)


def is_sensitive_host_path(mount: Mount) -> bool:
    p = posixpath.normpath("/" + mount.source.strip("/")) if mount.source.startswith("/") else ""
    if not p:
        return False
    if p in SENSITIVE_HOST_DIRS or exposes_runtime_socket(p):
        return True
    return not mount.read_only and any(p.startswith(t + "/") for t in _SENSITIVE_RW_TREES)


def exposes_socket(mount: Mount) -> bool:
    return mount.source.startswith("/") and exposes_runtime_socket(mount.source)


def log_rotation(driver: str | None, options: dict[str, str]) -> bool:
    """Whether the logs are bounded: json-file needs max-size; other drivers keep no local file."""
    d = (driver or "json-file").strip()
    if d in SELF_ROTATING_LOG_DRIVERS:
        return True
    return "max-size" in options and options["max-size"] not in ("", "-1")
