"""``sharedhash lookup``: look hashes (or a file, hashed on the hub in memory) up against every readable list."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sharedhash.cli.entry_cmd import parse_hash
from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client, short
from sharedhash.cli.output import EXIT_MATCHED, EXIT_NO_MATCH, EXIT_TROUBLE, console, emit_json, handle_errors
from sharedhash.errors import FileAccessError, InvalidInputError

if TYPE_CHECKING:
    from sharedhash.client.models import LookupResult, Match, MatchedSeconds


def check_files(files: list[Path]) -> None:
    """Every path given to ``--file`` must be a readable regular file: say which one is not, before any upload."""
    for path in files:
        if not path.exists():
            raise FileAccessError(f"no such file: {str(path)!r}")
        if path.is_dir():
            raise FileAccessError(
                f"{str(path)!r} is a folder; lookup takes files",
                hint="Give each file with --file, or hash a folder locally with `sharedhash match`.",
            )
        if not path.is_file():
            raise FileAccessError(f"{str(path)!r} is not a regular file")


def lookup(
    hashes: Annotated[list[str] | None, typer.Argument(help="TYPE:VALUE hashes to look up.")] = None,
    file: Annotated[
        list[Path] | None, typer.Option("--file", help="Upload this file to be hashed and looked up; repeatable.")
    ] = None,
    dihedral: bool = typer.Option(False, "--dihedral", help="With --file: also match rotations and mirror images."),
    max_distance: int | None = typer.Option(None, "--max-distance", help="Narrow the lists' PDQ thresholds."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Print every match among the lists your org may read. Exit 0 if something matched, 1 if nothing did, 2 on
    an error (grep's convention)."""
    files = list(file or [])
    with handle_errors(as_json=as_json, code=EXIT_TROUBLE):
        pairs = [parse_hash(h) for h in hashes or []]
        if not files and not pairs:
            raise InvalidInputError("nothing to look up", hint="Give TYPE:VALUE hashes or --file PATH.")
        check_files(files)
        with make_client(url, api_key) as client:
            # One answer per request: the hashes given (if any), then each file in the order given.
            results: list[tuple[str | None, LookupResult]] = []
            if pairs:
                results.append((None, client.lookup(pairs, max_distance=max_distance)))
            for path in files:
                try:
                    found = client.lookup_file(path, dihedral=dihedral, max_distance=max_distance)
                except OSError as exc:
                    raise FileAccessError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
                results.append((str(path), found))
    for path_name, result in results:
        _print(result, pairs, path_name, as_json)
    raise typer.Exit(EXIT_MATCHED if any(r.matches for _, r in results) else EXIT_NO_MATCH)


def _print(result: LookupResult, pairs: list[tuple[str, str]], path: str | None, as_json: bool) -> None:
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    if not result.matches:
        console.print(f"no match for {path or f'{result.queried} hashes'}", highlight=False)
        return
    table = Table("query", "hash type", "distance", "entry", "list", "classification", "contributor", "confirm/dispute")
    for m in result.matches:
        query = Path(path).name if path is not None else (short(pairs[m.query][1]) if m.query < len(pairs) else "?")
        table.add_row(
            query,
            m.hash_type,
            str(m.distance),
            str(m.entry_id),
            m.list_name,
            m.classification or "-",
            m.contributor,
            f"{m.feedback.confirm}/{m.feedback.dispute}",
        )
    console.print(table)
    for m in result.matches:  # a video match's facts, one line each (too wide for a column)
        if facts := _video_facts(m):
            console.print(f"entry {m.entry_id} ({m.hash_type}): {facts}", highlight=False, soft_wrap=True)


def _seconds(runs: list[MatchedSeconds]) -> str:
    return ", ".join(f"{r.start:g}-{r.end:g}s" if r.end != r.start else f"{r.start:g}s" for r in runs)


def _video_facts(m: Match) -> str:
    """The video facts of a match: how much of each side matched and which seconds (empty for other matches)."""
    parts = []
    if m.matched_hash_type is not None:
        parts.append(f"via {m.matched_hash_type}")
    if m.listed_percent is not None:
        parts.append(f"listed {m.listed_percent:g}%")
    if m.query_percent is not None:
        parts.append(f"query {m.query_percent:g}%")
    if m.query_seconds:
        parts.append(f"query at {_seconds(m.query_seconds)}")
    if m.listed_seconds:
        parts.append(f"listed at {_seconds(m.listed_seconds)}")
    return "; ".join(parts)


def register(app: typer.Typer) -> None:
    """Add ``lookup``."""
    app.command("lookup")(lookup)
