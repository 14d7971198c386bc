"""Dockerfiles read with BuildKit's own parser, mapped back onto the original text.

The `dockerfile` package wraps BuildKit's Go parser (moby/buildkit frontend/dockerfile/parser):
instructions, flags, JSON vs shell form, heredocs and 1-based start/end lines, honouring the
`# escape=` directive. It does not keep the text between and inside instructions (comments,
continuations, spacing), so every rewrite works on the original text: an instruction is the
span of its lines, and `words()` finds a token's exact offsets inside that span.

The parser accepts some things BuildKit's builder later refuses (an unknown instruction, a
`FROM` without an image); `parse()` refuses them here so that nothing is rewritten from a
file that would not build.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import dockerfile

from hardbake.migrate.textfile import TextFile

INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_NEED_ARGS = frozenset({"ARG", "ENV", "EXPOSE", "FROM", "USER", "WORKDIR", "LABEL", "SHELL", "STOPSIGNAL"})
_DIRECTIVE = re.compile(r"^\s*#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(\S*)\s*$")
_STAGE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]*$")
VAR_RE = re.compile(
    r"\\\$|\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class DockerfileError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    written: str  # as written (`from`, `Run`)
    start_line: int
    end_line: int
    start: int  # offset of the first line's start
    end: int  # offset just past the last line (its newline included)
    flags: tuple[str, ...]
    value: tuple[str, ...]
    json: bool
    original: str  # the parser's text: continuations joined, heredocs appended
    heredocs: tuple[str, ...]  # heredoc bodies
    sub: str | None = None  # ONBUILD's instruction

    def flag(self, name: str) -> str | None:
        for f in self.flags:
            if f.startswith(f"--{name}="):
                return f.split("=", 1)[1]
        return None


@dataclass(frozen=True)
class Stage:
    index: int
    from_: Instruction
    image: str  # the image as written (variables unexpanded)
    name: str | None
    body: tuple[Instruction, ...]

    @property
    def label(self) -> str:
        return self.name or f"stage {self.index}"


@dataclass(frozen=True)
class Dockerfile:
    file: TextFile
    escape: str
    preamble: tuple[Instruction, ...]  # the ARGs before the first FROM
    stages: tuple[Stage, ...]

    @property
    def text(self) -> str:
        return self.file.text

    def raw(self, inst: Instruction) -> str:
        return self.text[inst.start : inst.end]

    def global_args(self) -> dict[str, str | None]:
        """ARG defaults declared before the first FROM (the only ones FROM may use)."""
        env: dict[str, str | None] = {}
        for inst in self.preamble:
            declare(inst, env)
        return env

    def stage_named(self, name: str) -> Stage | None:
        for s in self.stages:
            if s.name is not None and s.name.lower() == name.lower():
                return s
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def words(self, inst: Instruction) -> list[tuple[str, int, int]]:
        """Whitespace-separated tokens of the instruction with absolute offsets (no quoting)."""
        return words(self.text, inst.start, inst.end, self.escape)


def parse(file: TextFile) -> Dockerfile:
    """Parse with BuildKit's parser, refusing what BuildKit's builder would refuse."""
    try:
        commands = dockerfile.parse_string(file.text)
    except dockerfile.GoParseError as e:
        raise DockerfileError(f"BuildKit's parser refused it: {e}") from e
    starts = file.line_starts()
    escape = _escape_directive(file.text)
    preamble: list[Instruction] = []
    stages: list[Stage] = []
    current: tuple[Instruction, list[Instruction]] | None = None
    for c in commands:
        keyword = c.cmd.upper()
        if keyword not in INSTRUCTIONS:
            raise DockerfileError(f"unknown instruction {c.cmd!r}", c.start_line)
        if keyword in _NEED_ARGS and not c.value:
            raise DockerfileError(f"{keyword} needs arguments", c.start_line)
        if keyword in ("COPY", "ADD") and len(c.value) < 2 and not c.heredocs:
            raise DockerfileError(f"{keyword} needs a source and a destination", c.start_line)
        end = starts[c.end_line] if c.end_line < len(starts) else len(file.text)
        inst = Instruction(
            keyword,
            c.cmd,
            c.start_line,
            c.end_line,
            starts[c.start_line - 1],
            end,
            tuple(c.flags),
            tuple(c.value),
            bool(c.json),
            c.original,
            tuple(h.content for h in c.heredocs),
            c.sub_cmd.upper() if c.sub_cmd else None,
        )
        if keyword == "FROM":
            if current is not None:
                stages.append(_stage(len(stages), *current))
            current = (inst, [])
        elif current is None:
            if keyword != "ARG":
                raise DockerfileError(
                    f"{keyword} before the first FROM (only ARG may come first)", c.start_line
                )
            preamble.append(inst)
        else:
            current[1].append(inst)
    if current is None:
        raise DockerfileError("no FROM instruction: not a Dockerfile")
    stages.append(_stage(len(stages), *current))
    return Dockerfile(file, escape, tuple(preamble), tuple(stages))


def _stage(index: int, from_: Instruction, body: list[Instruction]) -> Stage:
    v = from_.value
    if len(v) == 1:
        name = None
    elif len(v) == 3 and v[1].lower() == "as" and _STAGE_NAME.match(v[2]):
        name = v[2]
    else:
        raise DockerfileError(f"FROM expects IMAGE [AS NAME], found {' '.join(v)!r}", from_.start_line)
    return Stage(index, from_, v[0], name, tuple(body))


def _escape_directive(text: str) -> str:
    for line in text.lstrip("\ufeff").split("\n"):
        m = _DIRECTIVE.match(line)
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            return m.group(2)
    return "\\"


def words(text: str, start: int, end: int, escape: str = "\\") -> list[tuple[str, int, int]]:
    """Tokens of text[start:end] split at whitespace and line continuations, with offsets.

    Comment lines inside a continuation are skipped, as BuildKit skips them.
    """
    out: list[tuple[str, int, int]] = []
    i = start
    tok_start = -1
    at_line_start = False
    while i < end:
        ch = text[i]
        if at_line_start:
            j = i
            while j < end and text[j] in " \t":
                j += 1
            if j < end and text[j] == "#":
                nl = text.find("\n", j)
                i = end if nl == -1 or nl >= end else nl + 1
                continue
            at_line_start = False
        if ch == escape and _continues(text, i, end):
            if tok_start >= 0:
                out.append((text[tok_start:i], tok_start, i))
                tok_start = -1
            i = text.find("\n", i) + 1
            at_line_start = True
            continue
        if ch in " \t\r\n\ufeff":
            if tok_start >= 0:
                out.append((text[tok_start:i], tok_start, i))
                tok_start = -1
        elif tok_start < 0:
            tok_start = i
        i += 1
    if tok_start >= 0:
        out.append((text[tok_start:end], tok_start, end))
    return out


def _continues(text: str, i: int, end: int) -> bool:
    """Is text[i] an escape character followed only by blanks up to the end of its line?"""
    j = i + 1
    while j < end and text[j] in " \t\r":
        j += 1
    return j < end and text[j] == "\n"


def declare(inst: Instruction, env: dict[str, str | None]) -> None:
    """Record an ARG's names and defaults (expanded against the earlier ones)."""
    for item in inst.value:
        name, eq, default = item.partition("=")
        env[name] = expand(unquote(default), env) if eq else env.get(name)


def unquote(word: str) -> str:
    """Remove one level of shell quoting from a Dockerfile word (ARG/ENV values)."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(word) and word[i + 1] in '"\\$':
                i += 1
                out.append(word[i])
            else:
                out.append(ch)
        elif ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < len(word):
            i += 1
            out.append(word[i])
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def expand(text: str, env: Mapping[str, str | None]) -> str | None:
    """Expand $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word} as BuildKit does.

    None when a variable that was declared without a value is needed (its value comes from
    `--build-arg` at build time); an undeclared variable is empty, as in BuildKit.
    """
    unresolved = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unresolved
        if m.group(0) == "\\$":
            return "$"
        name = m.group("braced") or m.group("bare")
        op, word = m.group("op"), m.group("word") or ""
        declared = name in env
        value = env.get(name)
        is_set = declared and value is not None
        if op in (":-", "-"):  # an ARG without a value is unset: the author's default applies
            return (value or "") if is_set and (op == "-" or value) else word
        if op in (":+", "+"):
            return word if is_set and (op == "+" or value) else ""
        if declared and value is None:
            unresolved = True
            return ""
        return value or ""

    out = VAR_RE.sub(sub, text)
    return None if unresolved else out


def has_variables(text: str) -> bool:
    return any(m.group(0) != "\\$" for m in VAR_RE.finditer(text))
