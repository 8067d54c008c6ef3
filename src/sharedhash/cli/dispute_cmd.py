"""``sharedhash dispute``: a list owner's inbox of disputed entries, each entry's verdicts, resolving them, and a
list's quarantine policy (through the hub's API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError

dispute_app = typer.Typer(
    help="Disputes of your lists' entries: the inbox, each entry's verdicts, resolve, quarantine policy.",
    no_args_is_help=True,
)


@dispute_app.command("list")
def list_disputes(
    list_id: int | None = typer.Option(None, "--list", help="Only this list's entries."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Entries of your lists with open disputes (given since their last resolution), most recent first."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        items = client.disputes(list_id=list_id, limit=limit)
        if as_json:
            for item in items:
                emit_json(item.model_dump(mode="json"))
            return
        table = Table("entry", "list", "open disputes", "confirms", "last dispute", "quarantined")
        for i in items:
            table.add_row(
                str(i.entry_id),
                f"{i.list_name} ({i.list_id})",
                str(i.open_disputes),
                str(i.confirms),
                i.last_dispute_at.isoformat(),
                "yes" if i.quarantined else "",
            )
        console.print(table)


@dispute_app.command("show")
def show(
    entry_id: Annotated[int, typer.Argument(help="The entry's id.")],
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Every verdict on an entry of your list (which org, its reason code and note; never which key)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        found = client.entry_disputes(entry_id)
        if as_json:
            emit_json(found.model_dump(mode="json"))
            return
        state = "removed" if found.removed else "active"
        console.print(f"entry {entry_id} in {found.list_name} ({state}): {found.open_disputes} open disputes")
        table = Table("org", "verdict", "reason", "note", "given")
        for v in found.verdicts:
            table.add_row(v.org, v.verdict, v.reason, v.note, v.updated_at.isoformat())
        console.print(table)
        for r in found.resolutions:
            restored = f", restored as entry {r.restored_as}" if r.restored_as else ""
            console.print(f"{r.created_at.isoformat()}: {r.action} {r.reason} {r.reply}{restored}".rstrip())


@dispute_app.command("resolve")
def resolve(
    entry_id: Annotated[int, typer.Argument(help="The entry's id.")],
    action: str = typer.Argument(..., help="keep or remove"),
    reply: str = typer.Option("", "--reply", help="keep: your answer to the disputing orgs."),
    reason: str = typer.Option("", "--reason", help="remove: a reason code (it travels on the tombstone)."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Keep a disputed entry (a quarantined one comes back) or remove it with a reason."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        if action not in ("keep", "remove"):
            raise InvalidInputError(f"unknown resolution {action!r}", hint="Resolve with keep or remove.")
        row = client.resolve_dispute(entry_id, action, reply=reply, reason=reason)
        if as_json:
            emit_json(row.model_dump(mode="json"))
        elif row.restored_as:
            console.print(f"entry {entry_id} kept: it matches again as entry {row.restored_as}")
        else:
            console.print(f"entry {entry_id}: {row.action}{f' ({row.reason})' if row.reason else ''}")


@dispute_app.command("policy")
def policy(
    list_id: Annotated[int, typer.Argument(help="The list's id.")],
    quarantine_after: int | None = typer.Option(
        None, "--quarantine-after", min=1, help="Quarantine entries disputed by this many distinct orgs."
    ),
    off: bool = typer.Option(False, "--off", help="Never quarantine automatically."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a list's dispute policy, or set it (--quarantine-after N, or --off)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        if off and quarantine_after is not None:
            raise InvalidInputError("give --quarantine-after or --off, not both")
        if off or quarantine_after is not None:
            found = client.set_dispute_policy(list_id, None if off else quarantine_after)
        else:
            found = client.dispute_policy(list_id)
        if as_json:
            emit_json(found.model_dump(mode="json"))
        elif found.quarantine_after is None:
            console.print(f"list {list_id}: no automatic quarantine")
        else:
            console.print(f"list {list_id}: quarantine after {found.quarantine_after} disputing orgs")


def register(app: typer.Typer) -> None:
    """Add ``dispute``."""
    app.add_typer(dispute_app, name="dispute")
