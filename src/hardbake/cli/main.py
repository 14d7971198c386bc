"""The `hardbake` entry point: builds the Typer app from the verb modules and maps errors to exits.

Each verb lives in its own module with a `register(app)` function; the list below is the
explicit, exhaustive set of verbs (no import-time registries).
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

#: Verb modules under hardbake.cli, in the order `--help` lists them.
VERB_MODULES: tuple[str, ...] = (
    "resolve",
    "fetch",
    "key",
    "sign",
    "attest",
    "verify",
    "db",
    "sbom",
    "scan",
    "vex",
)


class _Root(TyperGroup):
    """The root command group: turns hardbake's errors into a message and an exit code.

    Doing it here (not only in `main`) means every way of invoking the app - the console
    script, `python -m`, typer's test runner - behaves the same.
    """

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


for _name in VERB_MODULES:
    importlib.import_module(f"hardbake.cli.{_name}").register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
