"""The simple commands of a RUN instruction, with the offsets of every word in the original text.

Hand-written because the analysis needs positions in the *original* Dockerfile text (with
its line continuations, continuation-comment lines and quotes) so that a rewrite can replace
one word or drop one `&& adduser ...` and leave every other byte alone; shlex and bashlex
work on already-joined strings. This is a lexer, not a shell: it splits on the control
operators (`&&`, `||`, `;`, `|`, `&`, newlines), keeps quoted and `$(...)` text inside their
word, marks redirections, and skips shell heredoc bodies. Anything it cannot follow (an
unterminated quote) stops the scan; callers treat that as "cannot convert safely".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PREFIXES = frozenset({"sudo", "exec", "command", "time", "nice", "nohup"})
_KEYWORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "{", "(", "}", ")"})
_OPERATORS = ("&&", "||", ";;", ";", "|", "&")


class ScanError(ValueError):
    pass


@dataclass(frozen=True)
class Word:
    text: str  # the value, quotes removed
    start: int  # offsets in the file text
    end: int
    redirect: bool = False  # a redirection operator (`>`, `2>&1`, `<<EOF`)


@dataclass(frozen=True)
class Command:
    words: tuple[Word, ...]
    op_before: str | None  # the operator before it, None for the first

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end

    @property
    def args(self) -> tuple[Word, ...]:
        """The command proper: after assignments, `sudo`, `env`, and `then`/`do`/`if`."""
        ws = list(self.words)
        i = 0
        while i < len(ws):
            t = ws[i].text
            if t in _KEYWORDS or t in _PREFIXES or (_ASSIGN.match(t) and not ws[i].redirect):
                i += 1
            elif t == "env":
                i += 1
                while i < len(ws) and (_ASSIGN.match(ws[i].text) or ws[i].text.startswith("-")):
                    i += 1
            else:
                break
        out: list[Word] = []
        target = False
        for w in ws[i:]:
            if w.redirect:
                target = w.text.endswith((">", "<")) and not w.text.endswith("<<")
            elif target:
                target = False  # the file a redirection names is not an argument
            else:
                out.append(w)
        return tuple(out)

    @property
    def program(self) -> str:
        a = self.args
        return a[0].text.rsplit("/", 1)[-1] if a else ""

    def redirect_targets(self) -> list[Word]:
        """Words a `>`/`>>` redirection writes to."""
        out = []
        for a, b in zip(self.words, self.words[1:], strict=False):
            if a.redirect and a.text.endswith(">") and not b.redirect:
                out.append(b)
        return out


def commands(text: str, start: int, end: int, escape: str = "\\") -> list[Command]:
    """The simple commands in text[start:end]."""
    return _Scanner(text, start, end, escape).run()


class _Scanner:
    def __init__(self, text: str, start: int, end: int, escape: str) -> None:
        self.t = text
        self.i = start
        self.end = end
        self.esc = escape
        self.out: list[Command] = []
        self.words: list[Word] = []
        self.op: str | None = None
        self.heredocs: list[tuple[str, bool]] = []  # pending (delimiter, strip tabs)

    def run(self) -> list[Command]:
        t = self.t
        line_start = True
        while self.i < self.end:
            ch = t[self.i]
            if line_start:
                line_start = False
                if self._skip_comment_line():
                    line_start = True
                    continue
            if ch == self.esc and self._continuation():
                self.i = t.index("\n", self.i) + 1
                line_start = True
                continue
            if ch == "\n":
                self._finish("\n")
                self.i += 1
                self._skip_heredoc_bodies()
                line_start = True
                continue
            if ch in " \t\r":
                self.i += 1
                continue
            if ch == "#":
                nl = t.find("\n", self.i, self.end)
                self.i = self.end if nl == -1 else nl
                continue
            op = next((o for o in _OPERATORS if t.startswith(o, self.i)), None)
            if op:
                self._finish(op)
                self.i += len(op)
                continue
            if ch in "<>":
                self._redirect()
                continue
            self._word()
        self._finish(None)
        return self.out

    def _finish(self, op: str | None) -> None:
        if self.words:
            self.out.append(Command(tuple(self.words), self.op))
            self.words = []
            self.op = op
        elif op is not None and self.out:
            self.op = op if op != "\n" or self.op is None else self.op

    def _skip_comment_line(self) -> bool:
        """A comment line inside a continuation is dropped by BuildKit: skip it entirely."""
        j = self.i
        while j < self.end and self.t[j] in " \t":
            j += 1
        if (self.out or self.words) and j < self.end and self.t[j] == "#" and self._after_continuation():
            nl = self.t.find("\n", j, self.end)
            self.i = self.end if nl == -1 else nl + 1
            return True
        return False

    def _after_continuation(self) -> bool:
        j = self.i - 2
        while j >= 0 and self.t[j] in " \t\r":
            j -= 1
        return j >= 0 and self.t[j] == self.esc

    def _continuation(self) -> bool:
        j = self.i + 1
        while j < self.end and self.t[j] in " \t\r":
            j += 1
        return j < self.end and self.t[j] == "\n"

    def _redirect(self) -> None:
        t = self.t
        s = self.i
        if self.words and self.words[-1].text.isdigit() and self.words[-1].end == s:
            s = self.words.pop().start  # 2>&1: the fd belongs to the operator
        j = self.i
        while j < self.end and t[j] in "<>&|-":
            j += 1
        while j < self.end and t[j].isdigit():
            j += 1
        op = t[s:j]
        self.words.append(Word(op, s, j, redirect=True))
        self.i = j
        if op.lstrip("0123456789").startswith("<<") and not op.lstrip("0123456789").startswith("<<<"):
            while self.i < self.end and t[self.i] in " \t":
                self.i += 1
            w0 = len(self.words)
            self._word()
            if len(self.words) > w0:
                delim = self.words.pop()
                self.words.append(Word(delim.text, delim.start, delim.end, redirect=True))
                self.heredocs.append((delim.text, op.endswith("-")))

    def _skip_heredoc_bodies(self) -> None:
        t = self.t
        while self.heredocs:
            delim, strip = self.heredocs.pop(0)
            while self.i < self.end:
                nl = t.find("\n", self.i, self.end)
                line_end = self.end if nl == -1 else nl
                line = t[self.i : line_end].rstrip("\r")
                self.i = line_end + 1 if nl != -1 else self.end
                if (line.lstrip("\t") if strip else line) == delim:
                    break

    def _word(self) -> None:
        t = self.t
        s = self.i
        buf: list[str] = []
        while self.i < self.end:
            ch = t[self.i]
            if ch == self.esc and self._continuation():
                self.i = t.index("\n", self.i) + 1
                continue
            if ch in " \t\r\n;&|<>" or (ch == "#" and not buf and self.i == s):
                break
            if ch == "'":
                close = t.find("'", self.i + 1, self.end)
                if close == -1:
                    raise ScanError(f"unterminated single quote at offset {self.i}")
                buf.append(t[self.i + 1 : close])
                self.i = close + 1
            elif ch == '"':
                self._double(buf)
            elif ch == "\\" and self.i + 1 < self.end:
                buf.append(t[self.i + 1])
                self.i += 2
            elif ch == "$" and t.startswith(("$(", "${"), self.i):
                self._balanced(buf)
            elif ch == "`":
                close = t.find("`", self.i + 1, self.end)
                if close == -1:
                    raise ScanError(f"unterminated backquote at offset {self.i}")
                buf.append(t[self.i : close + 1])
                self.i = close + 1
            else:
                buf.append(ch)
                self.i += 1
        if self.i > s:
            self.words.append(Word("".join(buf), s, self.i))

    def _double(self, buf: list[str]) -> None:
        t = self.t
        self.i += 1
        while self.i < self.end:
            ch = t[self.i]
            if ch == '"':
                self.i += 1
                return
            if ch == "\\" and self.i + 1 < self.end:
                if t[self.i + 1] == "\n" or (self.esc == "\\" and self._continuation()):
                    self.i = t.index("\n", self.i) + 1
                    continue
                nxt = t[self.i + 1]
                buf.append(nxt if nxt in '"\\$`' else "\\" + nxt)
                self.i += 2
                continue
            if ch == "$" and t.startswith(("$(", "${"), self.i):
                self._balanced(buf)
                continue
            buf.append(ch)
            self.i += 1
        raise ScanError("unterminated double quote")

    def _balanced(self, buf: list[str]) -> None:
        t = self.t
        open_, close = ("(", ")") if t[self.i + 1] == "(" else ("{", "}")
        depth = 0
        s = self.i
        self.i += 1
        while self.i < self.end:
            ch = t[self.i]
            if ch == open_:
                depth += 1
            elif ch == close:
                depth -= 1
                if depth == 0:
                    self.i += 1
                    buf.append(t[s : self.i])
                    return
            elif ch in "'\"":
                q = t.find(ch, self.i + 1, self.end)
                if q == -1:
                    raise ScanError("unterminated quote inside $(...)")
                self.i = q
            self.i += 1
        raise ScanError(f"unterminated {t[s : s + 2]}...")
