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
    help="Orgs: create one (prints its first admin key), list them, show your own, suspend or reinstate one.",
    no_args_is_help=True,
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
        from sharedhash.store.orgs import suspended_org_ids

        db = _local_db()
        try:
            with db.reading() as session:
                suspended = suspended_org_ids(session)
                rows = [(o.id, o.name, o.is_operator, o.id in suspended) for o in all_orgs(session)]
        finally:
            db.dispose()
        if as_json:
            for id_, name, op, off in rows:
                emit_json({"id": id_, "name": name, "operator": op, "suspended": off})
            return
        table = Table("id", "name", "operator", "suspended")
        for id_, name, op, off in rows:
            table.add_row(str(id_), name, "yes" if op else "", "yes" if off else "")
        console.print(table)


def _suspension(name: str, reason: str | None) -> dict[str, object]:
    """Suspend (``reason`` given) or reinstate the org called ``name`` on the local database, audited."""
    from sharedhash.store import audit
    from sharedhash.store.orgs import caller_for_org, reinstate_org, suspend_org

    db = _local_db()
    try:
        with db.writing() as session:
            if reason is not None:
                org, row = suspend_org(session, name, reason)
                action, detail = "org.suspend", {"by": "local operator", "reason": reason}
            else:
                org, row = reinstate_org(session, name)
                action, detail = "org.reinstate", {"by": "local operator"}
            audit.record(session, caller_for_org(org), action, target=org.name, detail=detail)
            return {
                "org": org.name,
                "id": org.id,
                "suspended": row.reinstated_at is None,
                "reason": row.reason,
                "suspended_at": row.suspended_at.isoformat(),
                "reinstated_at": row.reinstated_at.isoformat() if row.reinstated_at else None,
            }
    finally:
        db.dispose()


@org_app.command("suspend")
def suspend(
    name: str = typer.Argument(..., help="The org's name."),
    reason: str = typer.Option("", "--reason", help="Why (kept in the suspension's history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Suspend an org in the local hub database: its keys stop working at once and its lists are shared no more.

    Nodes that mirror its lists are told ``access_lost`` at their next sync and purge their mirrors; a node that
    syncs with its key purges every mirror of this hub. `org reinstate` ends it."""
    with handle_errors(as_json=as_json):
        shown = _suspension(name, reason)
        if as_json:
            emit_json(shown)
        else:
            console.print(f"org [bold]{name}[/] suspended: its keys stop working, its lists are shared no more")


@org_app.command("reinstate")
def reinstate(name: str = typer.Argument(..., help="The org's name."), as_json: bool = JSON_OPTION) -> None:
    """End an org's suspension in the local hub database: its keys (not revoked or expired) work again."""
    with handle_errors(as_json=as_json):
        shown = _suspension(name, None)
        if as_json:
            emit_json(shown)
        else:
            console.print(f"org [bold]{name}[/] reinstated")


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
