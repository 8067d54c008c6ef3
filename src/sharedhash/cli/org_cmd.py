"""``sharedhash org``: bootstrap orgs on this hub's own database (the operator's commands) and show your org."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, handle_errors

if TYPE_CHECKING:
    from sharedhash.store.db import Database

org_app = typer.Typer(
    help="Orgs: create one (prints its first admin key), list them, show your own.", no_args_is_help=True
)


def _local_db() -> Database:
    from sharedhash.settings import get_settings
    from sharedhash.store.db import database_url, open_database

    return open_database(database_url(get_settings()))


@org_app.command("create")
def create(
    name: str = typer.Argument(..., help="The org's name."),
    operator: bool = typer.Option(False, "--operator", help="May create orgs through the API (the first org is)."),
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing (exit 0) if the org exists."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an org in the local hub database and print its first admin key (shown once)."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.orgs.service import create_org_locally

        db = _local_db()
        try:
            org, issued = create_org_locally(db, name, operator=operator, if_missing=if_missing)
        finally:
            db.dispose()
        if issued is None:
            if as_json:
                emit_json({"org": name, "created": False})
            else:
                console.print(f"org {name!r} exists already")
            return
        org_id, operator_flag, token = org.id, org.is_operator, issued.token
        if as_json:
            emit_json({"org": name, "id": org_id, "operator": operator_flag, "created": True, "api_key": token})
        else:
            console.print(f"created org [bold]{name}[/] (id {org_id}{', hub operator' if operator_flag else ''})")
            console.print("admin API key (shown once, store it now):")
            console.print(token, highlight=False, soft_wrap=True)


@org_app.command("list")
def list_orgs(as_json: bool = JSON_OPTION) -> None:
    """Every org in the local hub database."""
    with handle_errors(as_json=as_json):
        from sharedhash.store.orgs import list_orgs as all_orgs

        db = _local_db()
        try:
            with db.reading() as session:
                rows = [(o.id, o.name, o.is_operator) for o in all_orgs(session)]
        finally:
            db.dispose()
        if as_json:
            for id_, name, op in rows:
                emit_json({"id": id_, "name": name, "operator": op})
            return
        table = Table("id", "name", "operator")
        for id_, name, op in rows:
            table.add_row(str(id_), name, "yes" if op else "")
        console.print(table)


@org_app.command("me")
def me(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The org your API key belongs to, asked of the hub."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        org = client.me()
        if as_json:
            emit_json(org.model_dump(mode="json"))
        else:
            console.print(f"{org.name} (id {org.id})")


def register(app: typer.Typer) -> None:
    """Add ``org``."""
    app.add_typer(org_app, name="org")
