"""Can a runtime image (no shell, no package manager) run this CMD / ENTRYPOINT / HEALTHCHECK?

Each check returns the exec-form argv to write, or a `Finding` saying why not. `npm start`
is resolved through package.json's `scripts.start` when that script is a plain command
(npm would run it with `sh -c`, and the runtime image has neither npm nor sh).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

from hardbake.migrate import execform
from hardbake.migrate import families as fam
from hardbake.migrate.dockerparse import Instruction
from hardbake.migrate.model import Finding, Severity


@dataclass(frozen=True)
class CommandCheck:
    argv: list[str] | None  # exec form to write (None: unchanged / not convertible)
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return any(f.severity is Severity.blocker for f in self.findings)


@dataclass(frozen=True)
class RuntimeFacts:
    """What the runtime stage will contain, for checking the program a command runs."""

    family: str | None
    copied: tuple[str, ...]  # absolute paths copied from the dev stage
    installed: tuple[tuple[str, int], ...]  # packages a package manager installed in the dev stage
    workdir: str
    venv: bool
    context: Path | None  # the build context directory, to read package.json
    origin: str | None = None  # "official" | "distroless": whose ENTRYPOINT conventions CMD relied on
    has_entrypoint: bool = False  # the Dockerfile sets its own ENTRYPOINT


def argv_of(inst: Instruction) -> tuple[list[str] | None, str]:
    """The exec-form argv of a CMD/ENTRYPOINT (shell form converted if it can be), or why not."""
    if inst.json:
        return list(inst.value), ""
    return execform.to_exec(" ".join(inst.value))


def check_command(inst: Instruction, facts: RuntimeFacts, file: str) -> CommandCheck:
    argv, why = argv_of(inst)
    line = inst.start_line
    changed_by_entrypoint = False
    if argv is None:
        return CommandCheck(
            None,
            (
                Finding(
                    file,
                    line,
                    Severity.blocker,
                    "shell-form",
                    f"shell-form {inst.keyword} cannot become exec form: {why}; the runtime image has no shell. "
                    "Write it in exec form (move expansions into the program's configuration) and run migrate again",
                ),
            ),
        )
    findings: list[Finding] = []
    if not inst.json:
        findings.append(
            Finding(
                file,
                line,
                Severity.change,
                "exec-form",
                f"{inst.keyword} {' '.join(inst.value)} -> {execform.render(argv)}",
            )
        )
    if inst.keyword == "CMD" and not facts.has_entrypoint:
        implicit = fam.implicit_command(facts.origin, facts.family, argv)
        if implicit is not None:
            findings.append(
                Finding(
                    file,
                    line,
                    Severity.change,
                    "implicit-entrypoint",
                    f"CMD {execform.render(argv)} -> {execform.render(implicit)}: the original image's ENTRYPOINT "
                    "added the program; the hardened image has no ENTRYPOINT",
                )
            )
            argv = implicit
            changed_by_entrypoint = True
    replaced = _npm_start(argv, facts)
    if replaced is not None:
        new, note = replaced
        if new is None:
            return CommandCheck(None, (Finding(file, line, Severity.blocker, "npm-start", note),))
        findings.append(Finding(file, line, Severity.change, "npm-start", note))
        argv = new
    if not (inst.keyword == "CMD" and facts.has_entrypoint):  # with an ENTRYPOINT, CMD is its arguments
        findings.extend(program_findings(argv[0], facts, file, line, inst.keyword))
    changed = argv if (not inst.json or replaced is not None or changed_by_entrypoint) else None
    return CommandCheck(changed, tuple(findings))


def check_healthcheck(inst: Instruction, facts: RuntimeFacts, file: str) -> CommandCheck:
    """HEALTHCHECK NONE is fine; a check needs a program the runtime image has, run without a shell."""
    v = inst.value
    if not v or v[0].upper() == "NONE":
        return CommandCheck(None, ())
    line = inst.start_line
    if inst.json:
        argv: list[str] | None = list(v[1:])
        why = ""
    else:
        argv, why = execform.to_exec(" ".join(v[1:]))
    if argv is None:
        return CommandCheck(
            None,
            (
                Finding(
                    file,
                    line,
                    Severity.blocker,
                    "healthcheck",
                    f"HEALTHCHECK needs a shell ({why}); the runtime image has none. Replace it with an orchestrator "
                    "probe (Kubernetes httpGet) or an exec-form check the runtime can run, then run migrate again",
                ),
            ),
        )
    found = program_findings(argv[0], facts, file, line, "HEALTHCHECK")
    if found and any(f.severity is Severity.blocker for f in found):
        return CommandCheck(None, tuple(found))
    change = (
        ()
        if inst.json
        else (
            Finding(
                file, line, Severity.change, "exec-form", f"HEALTHCHECK -> exec form {execform.render(argv)}"
            ),
        )
    )
    return CommandCheck(None if inst.json else argv, (*change, *found))


def program_findings(prog: str, facts: RuntimeFacts, file: str, line: int, what: str) -> list[Finding]:
    base = prog.rsplit("/", 1)[-1]
    traits = fam.traits(facts.family)
    if fam.is_shell(prog):
        return [
            Finding(
                file,
                line,
                Severity.blocker,
                "needs-shell",
                f"{what} runs {prog}: the runtime image has no shell",
            )
        ]
    if base.endswith(".sh"):
        return [
            Finding(
                file,
                line,
                Severity.blocker,
                "entrypoint-script",
                f"{what} runs the shell script {prog}: the runtime image has no shell; do its work in the program "
                "or at build time, then run migrate again",
            )
        ]
    if base in traits.programs:
        return []
    for pkg, pline in facts.installed:
        if pkg in (base, prog):
            return [
                Finding(
                    file,
                    line,
                    Severity.blocker,
                    "missing-program",
                    f"{what} runs {prog}, which the package manager installs at line {pline}; the runtime image "
                    "will not have it (build a hardbake image whose spec adds the package)",
                )
            ]
    if base in fam.ABSENT_TOOLS and not (facts.venv and base in ("pip", "pip3")):
        return [
            Finding(
                file,
                line,
                Severity.blocker,
                "missing-program",
                f"{what} runs {prog}, which the runtime image does not have",
            )
        ]
    if "/" in prog:
        path = posixpath.normpath(posixpath.join(facts.workdir, prog))
        if any(path == c or path.startswith(c.rstrip("/") + "/") for c in facts.copied):
            return []
    if facts.venv and "/" not in prog:
        return [
            Finding(
                file,
                line,
                Severity.info,
                "venv-program",
                f"{what} runs {prog}: expected in /opt/venv/bin (on PATH)",
            )
        ]
    return [
        Finding(
            file,
            line,
            Severity.warning,
            "unknown-program",
            f"{what} runs {prog}: could not check that the runtime image has it",
        )
    ]


def _npm_start(argv: list[str], facts: RuntimeFacts) -> tuple[list[str] | None, str] | None:
    """For `npm start` / `npm run start`: (the start script as argv, note), (None, why), or None."""
    base = argv[0].rsplit("/", 1)[-1]
    if base not in ("npm", "yarn", "pnpm") or len(argv) < 2:
        return None
    script = argv[2] if argv[1] in ("run", "run-script") and len(argv) > 2 else argv[1]
    if argv[1] not in ("start", "run", "run-script"):
        return None
    why = f"{' '.join(argv)} runs package.json's script through npm and sh, neither of which the runtime image has"
    pkg = facts.context / "package.json" if facts.context else None
    if pkg is None or not pkg.is_file() or pkg.is_symlink():
        return None, f'{why}; write CMD ["node", "<entry file>"] and run migrate again'
    try:
        scripts = json.loads(pkg.read_text(encoding="utf-8")).get("scripts", {})
        command = scripts.get(script)
    except (ValueError, OSError, AttributeError):
        command = None
    if not isinstance(command, str):
        return None, f"{why}; package.json has no readable scripts.{script}"
    new, bad = execform.to_exec(command)
    if new is None or new[0] not in ("node", "nodejs"):
        return (
            None,
            f"{why}; scripts.{script} is {command!r}, which is not a plain node command ({bad or 'not node'})",
        )
    return new, f"{' '.join(argv)} -> {execform.render(new)} (package.json scripts.{script})"
