"""Shared CLI plumbing: JSON or human output, and turning sharedhash errors into a message and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from sharedhash.errors import SharedhashError

T = TypeVar("T")

#: Exit codes: 0 success, 1 a sharedhash error (bad input, failed file, ...), 2 usage errors (typer's own).
EXIT_ERROR = 1
#: The commands that answer "did it match?" (``lookup``, ``match``, ``deter check``) follow grep's convention:
#: 0 when something matched, 1 when nothing did, 2 on an error (even if something else matched).
EXIT_MATCHED = 0
EXIT_NO_MATCH = 1
EXIT_TROUBLE = 2

console = Console()
err_console = Console(stderr=True)


def emit_json(obj: Any) -> None:
    """Write one JSON line to stdout."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), sort_keys=False) + "\n")
    sys.stdout.flush()


def error_body(exc: SharedhashError) -> dict[str, Any]:
    """The ``{"code", "message", "hint"}`` body used by the API and by ``--json`` output."""
    return exc.to_dict()


def fail(exc: SharedhashError, *, as_json: bool, code: int = EXIT_ERROR) -> typer.Exit:
    """Report ``exc`` (as a JSON error line or a message with its hint) and return the Exit (``code``) to raise."""
    if as_json:
        emit_json({"error": error_body(exc)})
    else:
        err_console.print(f"[bold red]error[/] [dim]({exc.code})[/]: {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[dim]hint:[/] {exc.hint}", highlight=False)
    return typer.Exit(code)


@contextmanager
def handle_errors(*, as_json: bool, code: int = EXIT_ERROR) -> Iterator[None]:
    """Run a command body; a :class:`SharedhashError` becomes a clean message and exit ``code``."""
    try:
        yield
    except SharedhashError as exc:
        raise fail(exc, as_json=as_json, code=code) from None


def guarded(fn: Callable[..., T], *args: Any, as_json: bool, **kwargs: Any) -> T:
    """Call ``fn`` under :func:`handle_errors`."""
    with handle_errors(as_json=as_json):
        return fn(*args, **kwargs)
