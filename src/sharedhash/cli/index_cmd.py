"""``sharedhash index build`` and ``sharedhash index query``: save an index of a hash file, look values up in it."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from sharedhash.cli.output import console, emit_json, err_console, handle_errors
from sharedhash.index.hashfile import HashRecord, read_hash_file
from sharedhash.index.indexset import IndexSet

index_app = typer.Typer(help="Build and query saved indexes of hash files.", no_args_is_help=True)


def read_with_progress(path: Path, *, as_json: bool, default_type: str | None = None) -> list[HashRecord]:
    """Read a hash file with a progress bar on stderr (none with ``--json``)."""
    size = path.stat().st_size if path.is_file() else 0
    progress = Progress(
        TextColumn(f"reading {path.name}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json or size < 1_000_000,
    )
    with progress:
        task = progress.add_task("read", total=size)
        records = read_hash_file(path, default_type=default_type, on_bytes=lambda n: progress.update(task, completed=n))
    return records


@index_app.command("build")
def build(
    hashes: Annotated[Path, typer.Option("--hashes", help="Hash file: CSV or JSON lines with hash_type,value[,id].")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the index to.")],
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
) -> None:
    """Index every hash of a hash file and save it, so `match --index` and `index query` start at once."""
    with handle_errors(as_json=as_json):
        started = time.perf_counter()
        records = read_with_progress(hashes, as_json=as_json)
        with err_console.status("building the index") if not as_json else nullcontext():
            index_set = IndexSet.from_records(records)
            index_set.save(out)
        counts = index_set.counts()
        seconds = round(time.perf_counter() - started, 3)
        summary: dict[str, Any] = {"index": str(out), "hashes": counts, "seconds": seconds}
        if as_json:
            emit_json(summary)
        else:
            shown = ", ".join(f"{n:,} {t}" for t, n in counts.items()) or "no hashes"
            console.print(f"indexed {shown} into {out} in {seconds} s", highlight=False)


@index_app.command("query")
def query(
    index: Annotated[Path, typer.Option("--index", help="Index folder written by `sharedhash index build`.")],
    hashes: Annotated[
        Path, typer.Option("--hashes", help="Query hashes: CSV or JSON lines with hash_type,value, or one per line.")
    ],
    hash_type: str = typer.Option("pdq", "--hash-type", help="Hash type of files with one value per line."),
    max_distance: int = typer.Option(31, "--max-distance", min=0, max=256, help="PDQ distance (exact types: 0)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per query hash."),
) -> None:
    """Look hash values up in a saved index: every stored hash within the distance, with its id."""
    with handle_errors(as_json=as_json):
        index_set = IndexSet.load(index)
        records = read_with_progress(hashes, as_json=as_json, default_type=hash_type)
        matched = 0
        by_type: dict[str, list[int]] = {}
        for position, record in enumerate(records):
            by_type.setdefault(record.hash_type, []).append(position)
        results: list[list[dict[str, Any]]] = [[] for _ in records]
        for kind, positions in by_type.items():
            answers = index_set.query(kind, [records[p].value for p in positions], max_distance)
            for p, answer in zip(positions, answers, strict=True):
                results[p] = [{"id": m.id, "value": m.value, "distance": m.distance} for m in answer]
        for record, found in zip(records, results, strict=True):
            matched += bool(found)
            if as_json:
                emit_json({"query": record.value, "hash_type": record.hash_type, "matches": found})
            elif found:
                shown = ", ".join(f"{m['id']} (distance {m['distance']})" for m in found)
                console.print(f"line {record.line} {record.hash_type} {record.value[:8]}…: {shown}", highlight=False)
        if not as_json:
            console.print(f"{matched} of {len(records)} query hashes matched", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``index`` command group to the root command."""
    app.add_typer(index_app, name="index")
