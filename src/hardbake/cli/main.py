"""The `hardbake` entry point: the root command group, lazy verb loading, errors to exit codes.

Each verb lives in its own module with a `register(app)` function. `COMMANDS` is the explicit,
exhaustive table of commands and the module that registers each; a module is imported only
when one of its commands runs (or for `--help`), so `hardbake resolve` does not pay for
importing the Kubernetes client, FastAPI or the SBOM libraries.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from hardbake import __version__
from hardbake.cli.output import err
from hardbake.errors import Error

#: command -> the module under hardbake.cli that registers it, in the order `--help` lists them
COMMANDS: dict[str, str] = {
    "build": "build",
    "lock": "build",
    "spec": "build",
    "test": "imagetest",
    "catalog": "catalog",
    "compare": "compare",
    "resolve": "resolve",
    "fetch": "fetch",
    "key": "key",
    "sign": "sign",
    "attest": "attest",
    "verify": "verify",
    "db": "db",
    "policy": "policy",
    "audit": "audit",
    "limits": "limits",
    "run": "run",
    "monitor": "monitor",
    "diagnose": "diagnose",
    "cost": "cost",
    "migrate": "migrate",
    "push": "push",
    "pull": "pull",
    "copy": "copy",
    "sbom": "sbom",
    "scan": "scan",
    "vex": "vex",
    "watch": "watch",
    "sla": "sla",
    "patch": "patch",
}
VERB_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))
_loaded: dict[str, dict[str, Any]] = {}


def _commands_of(module: str) -> dict[str, Any]:
    """Import one verb module and return the click commands it registers."""
    if module not in _loaded:
        sub = typer.Typer()
        importlib.import_module(f"hardbake.cli.{module}").register(sub)
        _loaded[module] = dict(typer.main.get_group(sub).commands)
    return _loaded[module]


class _Root(TyperGroup):
    """The root command group: turns hardbake's errors into a message and an exit code.

    Doing it here (not only in `main`) means every way of invoking the app - the console
    script, `python -m`, typer's test runner - behaves the same.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        module = COMMANDS.get(name)
        return None if module is None else _commands_of(module).get(name)

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors its own click)
        try:
            return super().invoke(ctx)
        except Error as e:
            err.print(f"[bold red]error:[/] {escape(e.diagnostics())}", highlight=False)
            raise typer.Exit(e.exit_code) from e


app = typer.Typer(
    cls=_Root,
    name="hardbake",
    help=(
        "Hardened-image factory: builds minimal, non-root, shell-less OCI images from "
        "Debian's public archive, with SBOMs, scans, signatures and provenance. "
        "Exit codes: 0 success, 1 a gate failed, 2 usage or input error, 3 environment error."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hardbake {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Hardened-image factory."""


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
