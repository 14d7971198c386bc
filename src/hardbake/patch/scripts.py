"""Which maintainer scripts an in-place patch may skip — hardbake never runs one.

An upgrade by dpkg would run the old `prerm upgrade`, the new `preinst upgrade`, and the new
`postinst configure OLD-VERSION`. `hardbake patch` runs none of them, so it accepts a
package only when skipping them loses nothing:

1. the new version has no such script; or
2. the script is the one the image already ran at install time, up to the package's own
   version string (Debian embeds it, e.g. libc6's postinst), so its effects are already in
   the image — unless it migrates from older versions (`dpkg --compare-versions "$2" lt V`)
   and this upgrade crosses V; or
3. every command in it is on a short list of things that have no effect in an image layer:
   shell structure, service management (`deb-systemd-helper`, `invoke-rc.d`, `systemctl`,
   `update-rc.d` — no init runs in a container layer), `ldconfig` (an upgrade keeps the
   library names the cache maps), byte-compilation (`py3compile`, `pyclean`: Python
   compiles on first import), icon/MIME/desktop caches, `dpkg-trigger`, `dpkg-maintscript-helper
   supports` and debconf boilerplate.

Anything else (`adduser`, `update-alternatives` with new arguments, `dpkg-maintscript-helper
rm_conffile`, arbitrary commands) refuses the package, naming the script and the line.
For distroless-style images no script of the old version is recorded, so only rules 1 and 3
apply.
"""

from __future__ import annotations

import re

from hardbake.debian.version import DebVersion

KINDS = ("preinst", "postinst", "prerm", "postrm", "config")

#: commands with no effect on an image layer (or whose effect an upgrade keeps)
_COMMANDS = frozenset(
    {"ldconfig", "deb-systemd-helper", "deb-systemd-invoke", "systemctl", "invoke-rc.d", "update-rc.d",
     "service", "py3compile", "py3clean", "pyclean", "pypy3compile", "pypy3clean", "update-mime-database",
     "update-desktop-database", "gtk-update-icon-cache", "update-icon-caches", "dpkg-trigger", "which",
     "command", "type", "true", ":", "exit", "return", "echo", "printf", "set", "db_stop", "db_version",
     "db_capb", "db_settitle"}
)  # fmt: skip
_STRUCTURE = re.compile(r"(fi|esac|done|then|else|do|\{|\}|;;|case .+ in|[\w|*\"'. -]+\)\s*(;;)?)")
_NOISE = re.compile(r"\s*(\d?>\s*/dev/null|\d?>&\d|\|\|\s*(true|:))\s*")
_ASSIGN = re.compile(r"(local\s+)?[A-Za-z_][A-Za-z0-9_]*=(\"[^\"]*\"|'[^']*'|\S*)")


def _simple(cmd: str) -> bool:
    """One simple command: a test, an assignment, or a command on the list."""
    cmd = cmd.strip().removeprefix("!").strip()
    if not cmd or _STRUCTURE.fullmatch(cmd):
        return True
    if cmd.startswith(("[ ", "[[ ", "test ")):
        return True
    if _ASSIGN.fullmatch(cmd):
        return True
    if cmd == ". /usr/share/debconf/confmodule" or cmd.startswith("dpkg-maintscript-helper supports "):
        return True
    word = cmd.split()[0]
    return word in _COMMANDS


def _harmless(line: str) -> bool:
    if line.startswith("#!"):
        return True
    if "$(" in line or "`" in line:  # command substitution: anything may run
        return False
    line = _NOISE.sub(" ", line).strip()
    for prefix in ("if ", "elif ", "while ", "until "):
        if line.startswith(prefix):
            line = line[len(prefix) :]
            line = re.sub(r";?\s*(then|do)$", "", line).strip()
            break
    line = re.sub(r";?\s*(then|do)$", "", line).strip() if line.endswith(("then", "do")) else line
    parts = re.split(r"\s*(?:&&|\|\||;)\s*", line)
    return all(_simple(p) for p in parts)


_MIGRATION = re.compile(
    r"dpkg --compare-versions\s+\"?\$(?:2|\{2\}|[A-Za-z_]*version[A-Za-z_]*)\"?\s+(lt|le|lt-nl|le-nl|<<|<=)\s+\"?([^\"\s;)]+)"
)


def _commands(script: str) -> list[str]:
    """The script's lines with comments and blank lines dropped, continuations joined."""
    out: list[str] = []
    pending = ""
    for raw in script.splitlines():
        line = raw.strip()
        if pending:
            line = pending + " " + line
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        if not line or (line.startswith("#") and not line.startswith("#!")):
            continue
        out.append(line)
    return out


def _same(old: str, new: str, old_version: str, new_version: str) -> bool:
    """Equal, once the package's own version strings are aligned."""
    if old == new:
        return True
    for o, n in ((old_version, new_version), (old_version.split(":")[-1], new_version.split(":")[-1])):
        if o and old.replace(o, n) == new:
            return True
    return False


def crossed_migration(script: str, old_version: str, new_version: str) -> str | None:
    """A `dpkg --compare-versions "$2" lt V` this upgrade crosses (old < V <= new)."""
    old, new = DebVersion(old_version), DebVersion(new_version)
    for m in _MIGRATION.finditer(script):
        try:
            bound = DebVersion(m[2])
        except Exception:  # a shell variable, not a version: we cannot tell
            return m[0]
        crosses = old < bound <= new if m[1] in ("lt", "lt-nl", "<<") else old <= bound < new
        if crosses:
            return m[0]
    return None


def judge(kind: str, new: bytes | None, old: bytes | None, old_version: str, new_version: str) -> str | None:
    """None when skipping this script is safe; otherwise why the package cannot be patched."""
    if new is None:
        return None
    text = new.decode("utf-8", "replace")
    if old is not None and _same(old.decode("utf-8", "replace"), text, old_version, new_version):
        crossed = crossed_migration(text, old_version, new_version)
        if crossed:
            return f"{kind} migrates data for this upgrade ({crossed!r}); hardbake does not run maintainer scripts"
        return None
    for line in _commands(text):
        if not _harmless(line):
            return f"its {kind} runs {line[:120]!r}, which an image-layer patch cannot reproduce"
    return None
