"""``sharedhash hash``: hash files and folders (recursively) on every core, one result per file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer

from sharedhash.cli.files import file_error_line, print_file_error, walk_files
from sharedhash.cli.output import EXIT_ERROR, console, emit_json, err_console, fail
from sharedhash.errors import FileAccessError, SharedhashError
from sharedhash.hashing.media import DEFAULT_TYPES, check_types, hash_media


def _hash_one(job: tuple[str, tuple[str, ...], bool, bool]) -> dict[str, Any]:
    """Hash one file in a worker; never raises, so one bad file cannot stop the run."""
    path, types, dihedral, fast = job
    try:
        p = Path(path)
        if p.is_dir():
            raise FileAccessError(f"{path} cannot be listed")
        result = hash_media(p, types, dihedral=dihedral, fast=fast)
    except SharedhashError as exc:
        return file_error_line(path, exc)
    except Exception as exc:  # a bug must cost one file, not the run; the message names the type only
        return {"path": path, "error": {"code": "internal_error", "message": f"unexpected {type(exc).__name__}"}}
    line: dict[str, Any] = {"path": path, "hashes": result.hashes}
    if result.pdq_quality is not None:
        line["pdq_quality"] = result.pdq_quality
    if result.pdq_dihedral is not None:
        line["pdq_dihedral"] = result.pdq_dihedral
    return line


def _results(jobs: list[tuple[str, tuple[str, ...], bool, bool]], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(jobs) <= 1:
        yield from map(_hash_one, jobs)
        return
    # Small chunks keep every core busy to the end (a 12 MP image costs ~65 ms, a pool round trip ~0.1 ms), so
    # chunks only grow for folders of thousands of files, where dispatch overhead would start to show.
    chunk = max(1, min(8, len(jobs) // (workers * 64)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_hash_one, jobs, chunksize=chunk)


def _with_progress(lines: Iterator[dict[str, Any]], total: int) -> Iterator[dict[str, Any]]:
    """``lines``, with a progress bar on stderr while there are two files or more."""
    if total < 2:  # one file: no bar, and no rich.progress import (~20 ms of start-up)
        yield from lines
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} files/s"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("hash", total=total, rate="-")
        for line in lines:
            yield line
            progress.advance(task)
            elapsed = progress.tasks[0].elapsed or 0.0
            done = progress.tasks[0].completed
            progress.update(task, rate=f"{done / elapsed:.1f}" if elapsed > 0 else "-")


def _human(line: dict[str, Any]) -> None:
    if "error" in line:
        print_file_error(line)
        return
    parts = [f"{name}={value}" for name, value in line["hashes"].items()]
    if "pdq_quality" in line:
        parts.insert(1 if "pdq" in line["hashes"] else 0, f"quality={line['pdq_quality']}")
    console.print("  ".join(parts) + f"  {line['path']}", highlight=False, soft_wrap=True)
    for i, variant in enumerate(line.get("pdq_dihedral") or []):
        if i:
            console.print(f"  pdq_dihedral[{i}]={variant}", highlight=False, soft_wrap=True)


def hash_files(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).", show_default=False)],
    types: str = typer.Option(",".join(DEFAULT_TYPES), "--types", "-t", help="Comma-separated hash types."),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also the 8 rotations/mirror images of the PDQ hash."),
    fast: bool = typer.Option(
        False, "--fast", help="Reduced-size JPEG decoding: faster, a few bits off. For scanning, not contributing."
    ),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Processes to use (0: one per core)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per file."),
) -> None:
    """Hash files: pdq (with quality), md5, sha1, sha256. Exit code 1 if any file failed."""
    try:
        wanted = tuple(check_types(types.split(",")))
    except SharedhashError as exc:
        raise fail(exc, as_json=as_json) from None
    files = [str(p) for p in walk_files(paths)]
    jobs = [(f, wanted, dihedral, fast) for f in files]
    n_workers = workers or os.cpu_count() or 1
    failed = 0
    for line in _with_progress(_results(jobs, n_workers), len(jobs)):
        failed += "error" in line
        if as_json:
            emit_json(line)
        else:
            _human(line)
    if failed:
        if not as_json:
            err_console.print(f"{failed} of {len(jobs)} files failed", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    """Add ``hash`` to the root command."""
    app.command("hash")(hash_files)
