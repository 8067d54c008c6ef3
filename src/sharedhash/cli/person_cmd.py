"""``sharedhash person``: people who sign in to the review pages, on this node's own database (the local
operator's commands: the first admin of an org, and help when an admin is locked out)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION
from sharedhash.cli.output import console, emit_json, handle_errors

if TYPE_CHECKING:
    from sharedhash.store.db import Database

person_app = typer.Typer(
    help="People who sign in to review: add (the first admin of an org), list, disable, reset.", no_args_is_help=True
)


def _local_db() -> Database:
    from sharedhash.settings import get_settings
    from sharedhash.store.db import database_url, open_database

    return open_database(database_url(get_settings()))


def _org_id(db: Database, org: str) -> int:
    from sharedhash.store.orgs import get_org_by_name

    with db.reading() as session:
        return get_org_by_name(session, org).id


def _invite_link(token: str) -> str:
    from sharedhash.settings import get_settings

    return f"{get_settings().hub_url.rstrip('/')}/ui/invite/{token}"


@person_app.command("add")
def add(
    org: str = typer.Argument(..., help="The org the person belongs to."),
    login: str = typer.Argument(..., help="Their sign-in name (an e-mail address or a handle)."),
    role: str = typer.Option("moderator", "--role", help="moderator, lead or admin."),
    name: str = typer.Option("", "--name", help="Display name."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (else: print an invitation link)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a person to an org: with a password read from stdin, or with a one-time invitation link."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.accounts import service
        from sharedhash.settings import get_settings

        password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
        if password is None and os.environ.get("SHAREDHASH_PERSON_PASSWORD"):
            password = os.environ["SHAREDHASH_PERSON_PASSWORD"]
        db = _local_db()
        try:
            added = service.add_person(
                db,
                get_settings(),
                None,
                org_id=_org_id(db, org),
                login=login,
                role=role,
                display_name=name,
                password=password,
            )
        finally:
            db.dispose()
        link = _invite_link(added.invite_token) if added.invite_token else None
        if as_json:
            role = added.role.value
            emit_json({"id": added.person_id, "login": added.login, "org": org, "role": role, "invite": link})
        else:
            console.print(f"added [bold]{added.login}[/] ({added.role.value}) to {org} (id {added.person_id})")
            if link:
                console.print("invitation link (works once, shown once):")
                console.print(link, highlight=False, soft_wrap=True)


@person_app.command("list")
def list_people(org: str = typer.Argument(..., help="The org."), as_json: bool = JSON_OPTION) -> None:
    """Every person of an org, with role and state."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.accounts import service

        db = _local_db()
        try:
            people = service.list_people(db, _org_id(db, org))
        finally:
            db.dispose()
        rows = [
            {
                "id": p.id,
                "login": p.login,
                "name": p.display_name,
                "role": p.role,
                "state": "disabled" if p.disabled_at else ("invited" if p.password_hash is None else "active"),
                "totp": p.totp_secret is not None,
            }
            for p in people
        ]
        if as_json:
            for row in rows:
                emit_json(row)
            return
        table = Table("id", "login", "name", "role", "state", "totp")
        for row in rows:
            table.add_row(*(str(row[k]) if k != "totp" else ("yes" if row[k] else "") for k in row))
        console.print(table)


@person_app.command("disable")
def disable(
    org: str = typer.Argument(..., help="The org."),
    person_id: int = typer.Argument(..., help="The person's id (see `sharedhash person list`)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Disable a person: their sessions end and they cannot sign in."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.accounts import service

        db = _local_db()
        try:
            service.disable(db, None, _org_id(db, org), person_id)
        finally:
            db.dispose()
        if as_json:
            emit_json({"id": person_id, "disabled": True})
        else:
            console.print(f"disabled person {person_id}")


@person_app.command("reset")
def reset(
    org: str = typer.Argument(..., help="The org."),
    person_id: int = typer.Argument(..., help="The person's id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Reset a person's password and second factor; prints a one-time link to choose a new password."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.accounts import service
        from sharedhash.settings import get_settings

        db = _local_db()
        try:
            token = service.reset(db, get_settings(), None, _org_id(db, org), person_id)
        finally:
            db.dispose()
        if as_json:
            emit_json({"id": person_id, "invite": _invite_link(token)})
        else:
            console.print("reset link (works once, shown once):")
            console.print(_invite_link(token), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``person``."""
    app.add_typer(person_app, name="person")
