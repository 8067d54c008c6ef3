"""The root ``sharedhash`` command, which imports a command's module only when that command runs.

Start-up time is the cost of every command, so the root imports only typer: ``sharedhash --version`` and
``sharedhash --help`` never import numpy, Pillow, pydantic, rich or the hub client (tests/cli/test_startup.py),
and ``sharedhash hash`` imports the hashing engine but not the hub client, the server or the settings class.
bench/cli_startup.py measures it.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from sharedhash import __version__

HELP = "Share hashes of known abuse material: contribute, match and act, deter."

#: The one table of commands: name -> (module that defines it, one-line help shown by ``sharedhash --help``).
#: Each module exposes ``register(app)``, which adds exactly this command to ``app``; a test checks that the
#: help here is the command's own.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "sharedhash.cli.demo_cmd",
        "Generate benign sample images and a sample video and print their hashes (PDQ with its quality, md5, sha1,"
        " sha256; the video's vPDQ frames).",
    ),
    "hash": (
        "sharedhash.cli.hash_cmd",
        "Hash files: images get pdq (with quality), videos vpdq; both md5, sha1, sha256.",
    ),
    "serve": (
        "sharedhash.cli.server_cmd",
        "Serve the hub API (docs at /docs, schema at /openapi.json); migrations run at start.",
    ),
    "org": ("sharedhash.cli.org_cmd", "Orgs: create one (prints its first admin key), list them, show your own."),
    "key": ("sharedhash.cli.key_cmd", "API keys of your org: create (shown once), list, revoke."),
    "list": ("sharedhash.cli.list_cmd", "Hash lists: create, show, update, import, export, feed."),
    "entry": ("sharedhash.cli.entry_cmd", "Entries: add, show, update, remove, feedback."),
    "lookup": ("sharedhash.cli.lookup_cmd", "Print every match among the lists your org may read."),
    "sync": ("sharedhash.cli.sync_cmd", "Mirror a hub's lists into this node: now, or on a schedule (subscribe)."),
    "index": ("sharedhash.cli.index_cmd", "Build and query saved indexes of hash files."),
    "match": ("sharedhash.cli.match_cmd", "Hash each file and report every known hash it matches, with the distance."),
    "deter": ("sharedhash.cli.deter_cmd", "Deterrence: check search queries against a term list."),
}


def load_command(name: str) -> _click.Command:
    """Import the module of command ``name`` and build its click command (only that command's module)."""
    module, _ = COMMANDS[name]
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(module).register(holder)
    # A Typer with one command (or one group) and no callback turns into that command itself.
    command = typer.main.get_command(holder)
    if isinstance(command, TyperGroup) and name in command.commands and len(command.commands) == 1:
        command = command.commands[name]
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A group whose subcommands are built from :data:`COMMANDS` on first use; help lists them from the table."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            # Help lists every command from the table, importing none of them.
            short = COMMANDS[cmd_name][1]
            return TyperCommand(cmd_name, help=short, short_help=short)
        command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        # Typer suggests close matches from ``self.commands``, which holds only the commands loaded so far.
        try:
            return super().resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            if self.suggest_commands and args and "Did you mean" not in exc.message:
                from difflib import get_close_matches

                matches = get_close_matches(args[0], list(COMMANDS))
                if matches:
                    suggestions = ", ".join(f"{m!r}" for m in matches)
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


app = typer.Typer(
    name="sharedhash",
    cls=LazyGroup,
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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


def main() -> None:
    """Console-script entry point."""
    # numpy's OpenBLAS starts a thread per core when numpy is imported, which costs a one-file `hash` about 25 ms
    # of CPU and more of wall time on a busy machine; no command needs BLAS threads (hashing runs one process per
    # core, and the PDQ kernels avoid BLAS for that reason). A value the user set wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    app()
