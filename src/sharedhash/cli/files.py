"""Walking the files a command was given, and reporting a file that failed, the same way in every command."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sharedhash.cli.output import err_console
from sharedhash.errors import SharedhashError


def walk_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Files named, and every regular file under folders named (sorted; symlinked folders are not followed)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(path, onerror=None, followlinks=False):
            dirs.sort()
            # Regular files only: a FIFO or device under a folder would block or never end.
            found.extend(Path(root) / name for name in files if (Path(root) / name).is_file())
        yield from sorted(found)


def file_error_line(path: Path | str, exc: SharedhashError) -> dict[str, Any]:
    """The per-file result line of a file that failed: ``{"path", "error": {"code", "message"}}``."""
    return {"path": str(path), "error": {"code": exc.code, "message": exc.message}}


def print_file_error(line: dict[str, Any]) -> None:
    """Print a :func:`file_error_line` for a person, on stderr."""
    err_console.print(
        f"[bold red]error[/] [dim]({line['error']['code']})[/] {line['path']}: {line['error']['message']}",
        highlight=False,
        soft_wrap=True,
    )
