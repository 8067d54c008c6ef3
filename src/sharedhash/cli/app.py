"""The root ``sharedhash`` command: each command module registers its commands on it."""

from __future__ import annotations

import importlib

import typer

from sharedhash import __version__

app = typer.Typer(
    name="sharedhash",
    help="Share hashes of known abuse material: contribute, match and act, deter.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per noun or top-level verb; each exposes ``register(app)``.
_COMMAND_MODULES = (
    "sharedhash.cli.demo_cmd",
    "sharedhash.cli.hash_cmd",
    "sharedhash.cli.server_cmd",
    "sharedhash.cli.org_cmd",
    "sharedhash.cli.key_cmd",
    "sharedhash.cli.list_cmd",
    "sharedhash.cli.entry_cmd",
    "sharedhash.cli.lookup_cmd",
    "sharedhash.cli.sync_cmd",
    "sharedhash.cli.index_cmd",
    "sharedhash.cli.match_cmd",
    "sharedhash.cli.deter_cmd",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sharedhash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Share hashes of known abuse material: contribute, match and act, deter."""


for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Console-script entry point."""
    app()
