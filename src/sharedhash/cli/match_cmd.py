"""``sharedhash match``: hash files and folders and report every known hash they match."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sharedhash.cli.files import file_error_line, print_file_error, walk_files
from sharedhash.cli.index_cmd import read_with_progress
from sharedhash.cli.output import EXIT_ERROR, console, emit_json, err_console, fail
from sharedhash.errors import FileAccessError, InvalidInputError, SharedhashError
from sharedhash.hashing.media import DEFAULT_TYPES, hash_media
from sharedhash.index.indexset import IndexSet


def _match_one(path: Path, index_set: IndexSet, max_distance: int, dihedral: bool) -> dict[str, Any]:
    types = [t for t in DEFAULT_TYPES if t in index_set.indexes]
    try:
        if not types:
            return {"path": str(path), "matches": []}
        media = hash_media(path, types, dihedral=dihedral and "pdq" in types)
    except SharedhashError as exc:
        return file_error_line(path, exc)
    matches = index_set.match(media.hashes, max_distance, pdq_variants=media.pdq_dihedral)
    return {"path": str(path), "hashes": media.hashes, "matches": [m.to_dict() for m in matches]}


def _human(line: dict[str, Any]) -> None:
    if "error" in line:
        print_file_error(line)
    elif line["matches"]:
        found = ", ".join(f"{m['hash_type']} id {m['id']} (distance {m['distance']})" for m in line["matches"])
        console.print(f"[bold]MATCH[/] {line['path']}: {found}", highlight=False, soft_wrap=True)
    else:
        console.print(f"no match {line['path']}", highlight=False, soft_wrap=True)


def match(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).", show_default=False)],
    hashes: Annotated[
        Path | None, typer.Option("--hashes", help="Known hashes: CSV or JSON lines, hash_type,value[,id].")
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help="A saved index folder (`sharedhash index build`).")
    ] = None,
    max_distance: int = typer.Option(31, "--max-distance", min=0, max=256, help="PDQ match distance."),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also match rotated and mirrored copies (PDQ)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per input file."),
) -> None:
    """Hash each file and report every known hash it matches, with the distance. Exit code 1 if a file failed."""
    try:
        if (hashes is None) == (index is None):
            raise InvalidInputError("give exactly one of --hashes FILE or --index FOLDER")
        if index is not None:
            index_set = IndexSet.load(index)
        else:
            assert hashes is not None
            index_set = IndexSet.from_records(read_with_progress(hashes, as_json=as_json))
        files = list(walk_files(paths))
        if not files:
            raise FileAccessError("no files to match under the given paths")
    except SharedhashError as exc:
        raise fail(exc, as_json=as_json) from None
    failed = matched = 0
    progress = Progress(
        TextColumn("matching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=len(files) < 2,
    )
    with progress:
        task = progress.add_task("match", total=len(files))
        for path in files:
            line = _match_one(path, index_set, max_distance, dihedral)
            failed += "error" in line
            matched += bool(line.get("matches"))
            if as_json:
                emit_json(line)
            else:
                _human(line)
            progress.advance(task)
    if not as_json:
        err_console.print(f"{matched} of {len(files)} files matched", highlight=False)
    if failed:
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    """Add ``match`` to the root command."""
    app.command("match")(match)
