"""What a container's exit code means, in words an operator can act on.

Codes above 128 are 128 + the number of the signal that ended the process (POSIX shells and
the engine report it that way). 137 is the one that matters most here: SIGKILL, which is what
the kernel's OOM killer sends, and also what `docker stop` sends after its grace period.
"""

from __future__ import annotations

import signal

_FIXED: dict[int, str] = {
    0: "exited normally",
    1: "the program reported an error (check its logs)",
    2: "the program was misused: bad arguments or configuration",
    125: "the engine could not run the container (docker run itself failed)",
    126: "the command could not be executed: permission denied, or it sits on a noexec mount",
    127: "the command was not found in the image (no such file; shell-less images have no /bin/sh)",
    255: "exit status out of range (the program exited with -1 or similar)",
}

_SIGNALS: dict[int, str] = {
    signal.SIGKILL.value: (
        "killed by SIGKILL: often the kernel's OOM killer (the memory limit was reached), or "
        "`docker stop`/`kill` after the grace period"
    ),
    signal.SIGSEGV.value: "SIGSEGV: the program crashed on an invalid memory access",
    signal.SIGTERM.value: "SIGTERM: asked to stop (docker stop, a restart, a scale-down) and exited",
    signal.SIGINT.value: "SIGINT: interrupted (Ctrl-C)",
    signal.SIGABRT.value: "SIGABRT: the program aborted itself (an assertion, or a runtime's fatal error)",
    signal.SIGBUS.value: "SIGBUS: bad memory access, e.g. a file mapping truncated, or /dev/shm full",
    signal.SIGFPE.value: "SIGFPE: arithmetic fault such as an integer division by zero",
    signal.SIGPIPE.value: "SIGPIPE: wrote to a pipe or socket nobody reads",
    signal.SIGHUP.value: "SIGHUP: the terminal or the supervisor hung up",
}


def explain_exit(code: int, *, oom_killed: bool = False) -> str:
    """One sentence for exit `code`; `oom_killed` (from the engine's state) makes 137 certain."""
    if oom_killed:
        return (
            f"exit {code}: killed by the kernel's OOM killer: the container reached its memory limit "
            "(raise the limit or lower the program's heap)"
        )
    if code in _FIXED:
        return f"exit {code}: {_FIXED[code]}"
    if 128 < code < 128 + 65:
        sig = code - 128
        text = _SIGNALS.get(sig)
        if text is None:
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            text = f"ended by {name}"
        return f"exit {code}: {text}"
    return f"exit {code}: the program's own error code (see its documentation and logs)"
