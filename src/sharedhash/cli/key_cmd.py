"""``sharedhash key``: an org admin creates, lists and revokes the org's API keys."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError

if TYPE_CHECKING:
    from sharedhash.client.models import IssuedKey
    from sharedhash.server.orgs.schemas import IssuedKeyOut

key_app = typer.Typer(help="API keys of your org: create (shown once), list, revoke.", no_args_is_help=True)


@key_app.command("create")
def create(
    scope: Annotated[list[str] | None, typer.Option("--scope", help="read, contribute or admin; repeatable.")] = None,
    name: str = typer.Option("", "--name", help="What the key is for."),
    expires: str | None = typer.Option(None, "--expires", help="Expiry time, ISO 8601 with a zone."),
    org: str | None = typer.Option(
        None,
        "--org",
        help="Local operator: issue the key for this org directly in this server's own database (no API key "
        "needed; default scope admin; audited). Recovers a lost first admin key.",
    ),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a key and print its secret (shown once)."""
    with handle_errors(as_json=as_json):
        try:
            expires_at = datetime.fromisoformat(expires) if expires else None
        except ValueError:
            raise InvalidInputError(
                f"not an ISO 8601 time: {expires!r}", hint="e.g. 2030-01-01T00:00:00+00:00"
            ) from None
        if org is not None:
            if url is not None or api_key is not None:
                raise InvalidInputError("--org works on the local database: give it without --url or --api-key")
            issued: IssuedKey | IssuedKeyOut = _create_local_key(org, scope or ["admin"], name, expires_at)
        else:
            with make_client(url, api_key) as client:
                issued = client.create_key(scope or ["read"], name=name, expires_at=expires_at)
        if as_json:
            emit_json(issued.model_dump(mode="json"))
        else:
            console.print(f"key {issued.id} ({', '.join(issued.scopes)}), shown once:")
            console.print(issued.key, highlight=False, soft_wrap=True)


def _create_local_key(org_name: str, scopes: list[str], name: str, expires_at: datetime | None) -> IssuedKeyOut:
    """A key for any org of this server's own database, by its local operator (the orgs service; audited)."""
    from sharedhash.server.orgs.schemas import IssuedKeyOut
    from sharedhash.server.orgs.service import create_key_locally
    from sharedhash.settings import get_settings
    from sharedhash.store.db import database_url, open_database
    from sharedhash.store.orgs import parse_scopes

    db = open_database(database_url(get_settings()))
    try:
        return IssuedKeyOut.issued(
            create_key_locally(db, org_name, parse_scopes(scopes), name=name, expires_at=expires_at)
        )
    finally:
        db.dispose()


@key_app.command("list")
def list_keys(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Your org's keys (never their secrets)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        keys = client.keys()
        if as_json:
            for k in keys:
                emit_json(k.model_dump(mode="json"))
            return
        table = Table("id", "name", "prefix", "scopes", "last used", "expires", "revoked")
        for k in keys:
            table.add_row(
                str(k.id),
                k.name,
                k.prefix,
                ",".join(k.scopes),
                str(k.last_used_at or ""),
                str(k.expires_at or ""),
                str(k.revoked_at or ""),
            )
        console.print(table)


@key_app.command("revoke")
def revoke(
    key_id: int = typer.Argument(..., help="The key's id (see `key list`)."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Revoke a key; it stops working at once."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        key = client.revoke_key(key_id)
        if as_json:
            emit_json(key.model_dump(mode="json"))
        else:
            console.print(f"revoked key {key.id} ({key.prefix})")


def register(app: typer.Typer) -> None:
    """Add ``key``."""
    app.add_typer(key_app, name="key")
