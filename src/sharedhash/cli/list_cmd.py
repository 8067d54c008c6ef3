"""``sharedhash list``: hash lists on a hub: create, show, change, import, export, read the feed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, err_console, handle_errors
from sharedhash.errors import InvalidInputError

list_app = typer.Typer(help="Hash lists: create, show, update, import, export, feed.", no_args_is_help=True)

if TYPE_CHECKING:
    from sharedhash.client.models import HashList


def _shares(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        org, _, access = value.partition(":")
        if not org or access not in ("read", "contribute", ""):
            raise InvalidInputError(f"not a share: {value!r}", hint="Write ORG or ORG:read or ORG:contribute.")
        out.append((org, access or "read"))
    return out


def _print_lists(lists: list[HashList], as_json: bool) -> None:
    if as_json:
        for lst in lists:
            emit_json(lst.model_dump(mode="json"))
        return
    table = Table("id", "name", "owner", "visibility", "pdq threshold", "changes", "mirror of")
    for lst in lists:
        table.add_row(
            str(lst.id),
            lst.name,
            lst.owner,
            lst.visibility,
            str(lst.pdq_threshold),
            str(lst.last_seq),
            lst.mirror_of or "",
        )
    console.print(table)


_LISTED_HELP = "Video rule: share (%) of a listed video's frames that must match (0-100, default 80)."
_QUERY_HELP = "Video rule: share (%) of the query video's frames that must match (0-100, default 0)."


@list_app.command("create")
def create(
    name: str = typer.Argument(..., help="The list's name (unique within your org)."),
    visibility: str = typer.Option("private", "--visibility", help="private, shared or members."),
    share: Annotated[
        list[str] | None, typer.Option("--share", help="ORG, ORG:read or ORG:contribute; repeatable.")
    ] = None,
    pdq_threshold: int = typer.Option(31, "--pdq-threshold", help="PDQ match distance for this list (0-63)."),
    video_listed_percent: int = typer.Option(80, "--video-listed-percent", help=_LISTED_HELP),
    video_query_percent: int = typer.Option(0, "--video-query-percent", help=_QUERY_HELP),
    description: str = typer.Option("", "--description"),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a list owned by your org."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        created = client.create_list(
            name,
            description=description,
            visibility=visibility,
            pdq_threshold=pdq_threshold,
            shares=_shares(share or []),
            video_listed_percent=video_listed_percent,
            video_query_percent=video_query_percent,
        )
        _print_lists([created], as_json)


@list_app.command("ls")
def ls(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Every list your org may read."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _print_lists(client.lists(), as_json)


@list_app.command("show")
def show(
    list_id: Annotated[int, typer.Argument()],
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One list."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _print_lists([client.get_list(list_id)], as_json)


@list_app.command("update")
def update(
    list_id: Annotated[int, typer.Argument()],
    name: str | None = typer.Option(None, "--name"),
    visibility: str | None = typer.Option(None, "--visibility", help="private, shared or members."),
    share: Annotated[
        list[str] | None, typer.Option("--share", help="Replaces all shares: ORG, ORG:read or ORG:contribute.")
    ] = None,
    pdq_threshold: int | None = typer.Option(None, "--pdq-threshold"),
    video_listed_percent: int | None = typer.Option(None, "--video-listed-percent", help=_LISTED_HELP),
    video_query_percent: int | None = typer.Option(None, "--video-query-percent", help=_QUERY_HELP),
    description: str | None = typer.Option(None, "--description"),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a list you own."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        changes: dict[str, object] = {
            k: v
            for k, v in {
                "name": name,
                "visibility": visibility,
                "pdq_threshold": pdq_threshold,
                "video_listed_percent": video_listed_percent,
                "video_query_percent": video_query_percent,
                "description": description,
            }.items()
            if v is not None
        }
        if share:
            changes["shares"] = _shares(share)
        _print_lists([client.update_list(list_id, **changes)], as_json)


@list_app.command("delete")
def delete(
    list_id: Annotated[int, typer.Argument()],
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete a list you own: every entry is tombstoned through the feed, so sharees' mirrors drop them too."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        if not yes:
            if as_json:
                raise InvalidInputError("deleting a list cannot be undone: pass --yes with --json")
            typer.confirm(f"Delete hash list {list_id} and tombstone all its entries?", abort=True)
        _print_lists([client.delete_list(list_id)], as_json)


@list_app.command("import")
def import_(
    list_id: Annotated[int, typer.Argument()],
    path: Annotated[Path, typer.Argument(help="A JSON-lines or CSV file.")],
    format: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from the file name)."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Bulk-add entries, streamed; with any bad line nothing is written and every bad line is listed."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        fmt = format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        if not as_json:
            err_console.print(f"uploading {path} ({fmt})…")
        result = client.import_entries(list_id, path, format=fmt)
        if as_json:
            emit_json(result.model_dump(mode="json"))
        elif result.committed:
            console.print(
                f"imported {result.created} new entries ({result.existing} already there) from {result.lines} lines"
            )
        else:
            for e in result.errors:
                err_console.print(f"line {e.line}: [dim]({e.code})[/] {e.message}", highlight=False)
            err_console.print("[bold red]nothing was imported[/]: fix the lines above and import again")
        if not result.committed:
            raise typer.Exit(1)


@list_app.command("export")
def export(
    list_id: Annotated[int, typer.Argument()],
    format: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Download every entry of a list (streamed)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        lines = client.export(list_id, format=format)
        if output is None:
            for line in lines:
                sys.stdout.write(line + "\n")
            return
        count = 0
        with output.open("w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
                count += 1
        if as_json:
            emit_json({"list_id": list_id, "path": str(output), "lines": count})
        else:
            console.print(f"wrote {count} lines to {output}")


@list_app.command("feed")
def feed(
    list_id: Annotated[int, typer.Argument()],
    after: str | None = typer.Option(None, "--after", help="A cursor from an earlier page."),
    limit: int = typer.Option(100, "--limit"),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One page of a list's change feed."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        page = client.feed(list_id, after=after, limit=limit)
        if as_json:
            emit_json(page.model_dump(mode="json"))
            return
        table = Table("seq", "kind", "entry", "time")
        for c in page.changes:
            table.add_row(str(c.seq), c.kind, str(c.entry_id), c.time.isoformat())
        console.print(table)
        console.print(f"next cursor: {page.next_cursor}{' (more)' if page.has_more else ''}")


def register(app: typer.Typer) -> None:
    """Add ``list``."""
    app.add_typer(list_app, name="list")
