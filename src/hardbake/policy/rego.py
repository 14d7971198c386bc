"""Custom policies in Rego v1, evaluated with regopy.

A policy directory holds `*.rego` files (`*_test.rego` skipped). Each package may define
`deny` (blocking, severity high by default) and `warn` (severity low by default) as sets:

    package hardened
    deny contains msg if {
        input.kind == "Deployment"
        container := input.spec.template.spec.containers[_]
        not startswith(container.image, "docker.io/docker/")
        msg := sprintf("%s must use a hardened image", [container.name])
    }

An element may be a string or an object `{"msg": ..., "severity": "medium", "id": "ORG-1"}`.
`input` is the object as written (a Kubernetes manifest, a Compose service, ...) with
hardbake's normalised view added under `input.hardbake`.

regopy reads pre-v1 syntax (`deny[msg] { ... }`) without error but evaluates it as something
else (an object rule), so such heads are refused before compiling, with the v1 form shown.
`http.send` and sprintf's `%q` are unsupported by regopy and refused likewise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regopy

from hardbake.errors import InputError, PolicyRefused
from hardbake.policy.model import Severity

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)\s*$", re.M)
_RESULT_RULES = {"deny": Severity.high, "warn": Severity.low}


class RegoRefused(PolicyRefused):
    """A Rego policy was refused: old syntax, unsupported built-in, or a compile error (exit 2)."""


@dataclass(frozen=True)
class RegoResult:
    package: str
    rule: str  # deny | warn
    message: str
    severity: Severity
    rule_id: str


def _skeleton(text: str) -> str:
    """The source with comments removed and string contents blanked, same lines and columns."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if ch in '"`':
            quote = ch
            out.append(ch)
            i += 1
            while i < n and text[i] != quote:
                if quote == '"' and text[i] == "\\" and i + 1 < n:
                    out.append("  ")
                    i += 2
                    continue
                out.append("\n" if text[i] == "\n" else " ")
                i += 1
            if i < n:
                out.append(quote)
                i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_LITERAL_END = re.compile(r"(:=|==|!=|=|,|\(|\[|\{|\||&|\bcontains|\bin|\belse|\bdefault\b.*)\s*$")
_HEAD = re.compile(r"^([A-Za-z_][\w.]*)\s*(\[\s*(.+?)\s*\])?\s*(\(.*\))?\s*((?::=|=)\s*(.+?))?\s*$")


def find_v0_rules(text: str) -> list[tuple[int, str, str]]:
    """Top-level rule heads written in pre-v1 syntax: (line, head as written, v1 form)."""
    sk = _skeleton(text)
    found: list[tuple[int, str, str]] = []
    depth = 0
    line = 1
    start = 0  # offset where the current top-level statement's line began
    for i, ch in enumerate(sk):
        if ch == "\n":
            line += 1
            if depth == 0:
                start = i + 1
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "{":
            if depth == 0:
                head = sk[start:i].strip()
                if (
                    head
                    and not re.search(r"\bif\b", head)
                    and not _LITERAL_END.search(head)
                    and not head.startswith(("package", "import", "default", "}"))
                ):
                    m = _HEAD.match(" ".join(text[start:i].split()))  # the written text, not the blanked one
                    if m:
                        name, key, args, value = m.group(1), m.group(3), m.group(4), m.group(6)
                        if key and not value:
                            v1 = f"{name} contains {key} if {{"
                        elif key and value:
                            v1 = f"{name}[{key}] := {value} if {{"
                        elif value:
                            v1 = f"{name}{args or ''} := {value} if {{"
                        else:
                            v1 = f"{name}{args or ''} if {{"
                        found.append((line, m.group(0) + " {", v1))
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
    return found


def _check_source(text: str, name: str) -> str:
    old = find_v0_rules(text)
    if old:
        shown = "\n".join(f"  {name}:{ln}: `{head}`  ->  `{v1}`" for ln, head, v1 in old[:5])
        raise RegoRefused(
            f"{name} uses pre-v1 Rego rule syntax, which regopy evaluates wrongly without an error:\n{shown}",
            hint="write Rego v1: `deny contains msg if { ... }` (partial sets), "
            "`allow if { ... }` (booleans)",
        )
    sk = _skeleton(text)
    if "http.send" in sk:
        raise RegoRefused(
            f"{name} calls http.send, which regopy does not support (it evaluates to nothing)",
            hint="pass the data in with the policy instead of fetching it at admission time",
        )
    if re.search(r"sprintf\s*\(\s*\"[^\"]*%q", text):
        raise RegoRefused(
            f"{name} uses sprintf's %q verb, which regopy does not support",
            hint='use %v or %s (quote by hand with \\"%s\\" if needed)',
        )
    m = _PACKAGE.search(sk)
    if m is None:
        raise RegoRefused(f"{name} has no package declaration", hint="start the file with `package <name>`")
    return m.group(1)


@contextlib.contextmanager
def _native_output(sink: list[str]) -> Iterator[None]:
    """Capture what regopy's C++ core prints on fds 1 and 2 (its readable compile errors), so
    it lands in our error message instead of on stdout, where it would break `--format json`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        try:
            os.dup2(tmp.fileno(), 1)
            os.dup2(tmp.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            tmp.seek(0)
            sink.append(tmp.read().decode(errors="replace"))


def _readable(captured: list[str], fallback: Exception | str) -> str:
    text = "".join(captured).strip()
    if text.startswith("Errors:"):
        text = text[len("Errors:") :].strip()
    return text or str(fallback)


class RegoPolicies:
    """Compiled custom policies; `evaluate` is safe to call from several threads."""

    def __init__(self, sources: dict[str, str]) -> None:
        if not sources:
            raise InputError(
                "no .rego files to load", hint="point --rego at a directory with *.rego policies"
            )
        packages: list[str] = []
        self._interp = regopy.Interpreter()
        for name, text in sorted(sources.items()):
            pkg = _check_source(text, name)
            if pkg not in packages:
                packages.append(pkg)
            captured: list[str] = []
            try:
                with _native_output(captured):
                    self._interp.add_module(name, text)
            except regopy.RegoError as e:
                raise RegoRefused(f"{name} does not compile:\n{_readable(captured, e)}") from e
        self.packages = tuple(packages)
        query = "[" + ", ".join(f"data.{p}" for p in packages) + "]"
        captured = []
        try:
            with _native_output(captured):
                self._bundle = self._interp.build(query)
        except regopy.RegoError as e:
            raise RegoRefused(f"the Rego policies do not compile:\n{_readable(captured, e)}") from e
        if not self._bundle.ok():
            raise RegoRefused(f"the Rego policies do not compile:\n{_readable(captured, 'no detail')}")
        self._lock = threading.Lock()

    @classmethod
    def load(cls, directory: Path) -> RegoPolicies:
        d = Path(directory)
        if d.is_file():
            files = [d]
        elif d.is_dir():
            files = sorted(p for p in d.rglob("*.rego") if not p.name.endswith("_test.rego"))
        else:
            raise InputError(f"--rego {d}: no such file or directory")
        if not files:
            raise InputError(f"--rego {d}: no .rego files found", hint="policies are files named *.rego")
        return cls({str(p): p.read_text() for p in files})

    def evaluate(self, document: dict[str, Any]) -> list[RegoResult]:
        data = json.dumps(document, default=str)
        with self._lock:
            self._interp.set_input_term(data)
            out = self._interp.query_bundle(self._bundle)
        text = str(out)
        if text == "undefined" or not text.startswith("{"):
            return []
        values = json.loads(text).get("expressions", [[]])[0]
        results: list[RegoResult] = []
        for pkg, value in zip(self.packages, values, strict=False):
            if not isinstance(value, dict):
                continue
            for rule, default in _RESULT_RULES.items():
                entries = value.get(rule)
                if entries is None:
                    continue
                if not isinstance(entries, list):
                    raise RegoRefused(
                        f"package {pkg}: `{rule}` is not a set (found {type(entries).__name__})",
                        hint=f"declare it as a partial set: `{rule} contains msg if {{ ... }}`",
                    )
                results.extend(_result(pkg, rule, e, default) for e in entries)
        return results


def _result(pkg: str, rule: str, entry: Any, default: Severity) -> RegoResult:
    rule_id = f"REGO.{pkg}.{rule}"
    if isinstance(entry, dict):
        msg = str(entry.get("msg") or entry.get("message") or json.dumps(entry, sort_keys=True))
        sev = default
        if isinstance(entry.get("severity"), str):
            try:
                sev = Severity.parse(entry["severity"])
            except InputError:
                sev = default
        if isinstance(entry.get("id"), str) and entry["id"]:
            rule_id = entry["id"]
        return RegoResult(pkg, rule, msg, sev, rule_id)
    return RegoResult(pkg, rule, entry if isinstance(entry, str) else json.dumps(entry), default, rule_id)
