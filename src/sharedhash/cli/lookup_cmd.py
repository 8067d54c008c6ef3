"""``sharedhash lookup``: look hashes (or a file, hashed on the hub in memory) up against every readable list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sharedhash.cli.entry_cmd import parse_hash
from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client, short
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError


def lookup(
    hashes: Annotated[list[str] | None, typer.Argument(help="TYPE:VALUE hashes to look up.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Upload this file to be hashed and looked up.")] = None,
    dihedral: bool = typer.Option(False, "--dihedral", help="With --file: also match rotations and mirror images."),
    max_distance: int | None = typer.Option(None, "--max-distance", help="Narrow the lists' PDQ thresholds."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Print every match among the lists your org may read."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        pairs = [parse_hash(h) for h in hashes or []]
        if file is None and not pairs:
            raise InvalidInputError("nothing to look up", hint="Give TYPE:VALUE hashes or --file PATH.")
        result = (
            client.lookup_file(file, dihedral=dihedral, max_distance=max_distance)
            if file is not None
            else client.lookup(pairs, max_distance=max_distance)
        )
        if as_json:
            emit_json(result.model_dump(mode="json"))
            return
        if not result.matches:
            console.print(f"no match for {result.queried} hashes")
            return
        table = Table(
            "query", "hash type", "distance", "entry", "list", "classification", "contributor", "confirm/dispute"
        )
        for m in result.matches:
            query = short(pairs[m.query][1]) if m.query < len(pairs) else (file.name if file else str(m.query))
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


def register(app: typer.Typer) -> None:
    """Add ``lookup``."""
    app.command("lookup")(lookup)
