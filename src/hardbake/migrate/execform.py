"""Shell form -> exec form, only when no shell feature is in use.

`CMD node server.js` runs `/bin/sh -c "node server.js"`; a runtime image has no /bin/sh, so
it becomes `CMD ["node", "server.js"]`. That is the same program only when the command uses
no shell feature: no expansion (`$PORT`), no operators (`&&`, `|`, `;`, redirections), no
globbing, no leading `VAR=value`. Anything else is refused with the reason, never guessed.
"""

from __future__ import annotations

import json
import re
import shlex

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_META = set("|&;<>()$`*?[]{}~\n")


def shell_feature(command: str) -> str | None:
    """The first shell feature `command` uses, described, or None if it uses none."""
    quote = ""
    prev = " "
    for ch in command:
        if quote == "'":
            if ch == "'":
                quote = ""
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif ch in "$`":
                return f"{ch!r} expansion inside double quotes"
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t":
            return "a comment"
        elif ch in _META:
            return f"the shell character {ch!r}" if ch != "\n" else "a line break"
        prev = ch
    if quote:
        return "an unterminated quote"
    return None


def to_exec(command: str) -> tuple[list[str] | None, str]:
    """(argv, "") for a command that needs no shell, else (None, why)."""
    feature = shell_feature(command)
    if feature:
        return None, f"it uses {feature}, which only a shell interprets"
    try:
        argv = shlex.split(command, posix=True)
    except ValueError as e:
        return None, f"it cannot be split into words ({e})"
    if argv and argv[0] == "exec":
        argv = argv[1:]
    if not argv:
        return None, "it is empty"
    if _ASSIGN.match(argv[0]):
        return None, f"it sets {argv[0].split('=', 1)[0]} for the command, which only a shell does"
    return argv, ""


def render(argv: list[str]) -> str:
    """JSON array as Dockerfiles write it: ["node", "server.js"]."""
    return json.dumps(argv, ensure_ascii=False)
