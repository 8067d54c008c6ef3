"""``sharedhash sync``: mirror every list a remote key can read into this node's database (crash-safe, resumable)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from sharedhash.cli.output import console, emit_json, err_console, fail, handle_errors
from sharedhash.errors import AuthenticationError, FileAccessError, InvalidInputError, SharedhashError
from sharedhash.limits import MIN_SUBSCRIPTION_INTERVAL_SECONDS as MIN_INTERVAL_SECONDS

if TYPE_CHECKING:
    from sharedhash.sync.mirror import LocalOrg

sync_app = typer.Typer(help="Mirror a hub's lists into this node: now, or on a schedule (subscribe).")


_KEY_ENV = "SHAREDHASH_SYNC_API_KEY"
_KEY_HELP = f"An API key of your org on that hub (or --api-key-file, or ${_KEY_ENV})."
_KEY_FILE_HELP = "Read the remote API key from this file (first line); keeps it out of the shell history."


def remote_key(api_key: str | None, api_key_file: Path | None) -> str:
    """The remote hub's key: from --api-key, else --api-key-file, else $SHAREDHASH_SYNC_API_KEY."""
    if api_key and api_key_file is not None:
        raise InvalidInputError("give --api-key or --api-key-file, not both")
    if api_key_file is not None:
        try:
            text = api_key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise FileAccessError(f"cannot read the API key file {str(api_key_file)!r}: {reason}") from None
        key = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not key:
            raise InvalidInputError(f"the API key file {str(api_key_file)!r} is empty")
        return key
    key = api_key or os.environ.get(_KEY_ENV, "").strip()
    if not key:
        raise AuthenticationError(
            "sync needs the remote hub's API key",
            hint=f"Pass --api-key KEY, --api-key-file PATH or set {_KEY_ENV}.",
        )
    return key


def _print_new_org(org: str, api_key: str) -> None:
    console.print(f"created local org [bold]{org}[/] to own the mirrors; its admin API key (shown once, store it now):")
    console.print(api_key, highlight=False, soft_wrap=True)


@sync_app.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--from", help="The hub's URL."),
    api_key: str | None = typer.Option(None, "--api-key", help=_KEY_HELP),
    api_key_file: Annotated[Path | None, typer.Option("--api-key-file", help=_KEY_FILE_HELP)] = None,
    org: str | None = typer.Option(
        None, "--org", help="Local org owning the mirrors (default: your org's name there)."
    ),
    require_org: bool = typer.Option(
        False, "--require-org", help="Fail if the local org does not exist (default: create it, print its key)."
    ),
    page_size: int = typer.Option(10_000, "--page-size", min=1, max=10_000, help="Feed changes per request."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Pull every list the key can read into local read-only mirrored lists, from the stored cursors.

    A local org that does not exist yet is created with an admin key, printed once (--require-org: an error)."""
    if ctx.invoked_subcommand is not None:
        return
    created: LocalOrg | None = None
    try:
        from sharedhash.client import Client
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database
        from sharedhash.sync.feedback import GivenKey, send_pending_feedback
        from sharedhash.sync.mirror import local_org, sync_from

        if not source:
            raise AuthenticationError(
                "sync needs --from URL and the remote hub's API key",
                hint="e.g. sharedhash sync --from https://hub.example --api-key-file hub.key",
            )
        key = remote_key(api_key, api_key_file)
        db = open_database(database_url(get_settings()))
        try:
            with (
                Client(source, key) as client,
                Progress(
                    SpinnerColumn(), TextColumn("{task.description}"), console=err_console, disable=as_json
                ) as progress,
            ):
                task = progress.add_task("syncing…")
                local = local_org(db, org or client.me().name, create=not require_org)
                created = local if local.created else None

                def on_page(item: object) -> None:
                    from sharedhash.sync.mirror import ListReport

                    assert isinstance(item, ListReport)
                    progress.update(task, description=f"{item.name}: +{item.added} ~{item.updated} -{item.removed}")

                report = sync_from(db, client, org_name=local.caller.org_name, page_size=page_size, on_page=on_page)
                # Verdicts the org gave here on this hub's entries go back with the same key (a subscription's
                # loop sends them on its own; a node synced only by hand has just this moment).
                sent = send_pending_feedback(
                    db, settings=get_settings(), given=GivenKey(local.caller.org_id, report.source, key)
                )
        finally:
            db.dispose()
    except SharedhashError as exc:
        if created is not None and created.api_key:  # the org exists now: its key must not be lost with the error
            if as_json:
                emit_json({"org": created.caller.org_name, "org_created": True, "api_key": created.api_key})
            else:
                _print_new_org(created.caller.org_name, created.api_key)
        raise fail(exc, as_json=as_json) from None
    new_key = {"org_created": True, "api_key": created.api_key} if created is not None else {"org_created": False}
    if as_json:
        emit_json(
            {
                "source": report.source,
                "org": report.org,
                **new_key,
                "changed": report.changed,
                "feedback": {"sent": sent.sent, "dropped": sent.dropped, "waiting": sent.waiting},
                "lists": [
                    {
                        "remote_list_id": r.remote_list_id,
                        "local_list_id": r.local_list_id,
                        "name": r.name,
                        "added": r.added,
                        "updated": r.updated,
                        "removed": r.removed,
                        "last_seq": r.last_seq,
                        "status": r.status,
                        "reason": r.reason,
                        "purged": r.purged,
                    }
                    for r in report.lists
                ],
            }
        )
        return
    if created is not None and created.api_key:
        _print_new_org(created.caller.org_name, created.api_key)
    table = Table("remote list", "local list", "name", "added", "updated", "removed", "status")
    for r in report.lists:
        status = r.status if r.reason is None else f"{r.status} ({r.reason}; {r.purged} purged now)"
        table.add_row(
            str(r.remote_list_id), str(r.local_list_id), r.name, str(r.added), str(r.updated), str(r.removed), status
        )
    console.print(table)
    if sent.sent or sent.dropped or sent.waiting:
        console.print(f"feedback to {report.source}: {sent.sent} sent, {sent.dropped} dropped, {sent.waiting} waiting")


@sync_app.command("subscribe")
def subscribe(
    source: str = typer.Option(..., "--from", help="The hub's URL."),
    api_key: str | None = typer.Option(None, "--api-key", help=_KEY_HELP),
    api_key_file: Annotated[Path | None, typer.Option("--api-key-file", help=_KEY_FILE_HELP)] = None,
    org: str = typer.Option(..., "--org", help="Local org owning the mirrors (created with a key if missing)."),
    require_org: bool = typer.Option(False, "--require-org", help="Fail if the local org does not exist."),
    interval: int = typer.Option(60, "--interval", help=f"Seconds between syncs, at least {MIN_INTERVAL_SECONDS}."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Store a subscription that the running server syncs on a schedule (one per hub and local org)."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.subscriptions.service import subscribe_locally
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database
        from sharedhash.sync.mirror import normalise_url

        key = remote_key(api_key, api_key_file)
        db = open_database(database_url(get_settings()))
        try:
            sub_id, local = subscribe_locally(
                db, org=org, create_org=not require_org, source=source, api_key=key, interval=interval
            )
        finally:
            db.dispose()
        body = {"subscription": sub_id, "from": normalise_url(source), "org": org, "interval": interval}
        if as_json:
            emit_json({**body, "org_created": local.created, **({"api_key": local.api_key} if local.api_key else {})})
        else:
            if local.api_key:
                _print_new_org(org, local.api_key)
            console.print(f"subscription {sub_id}: the server syncs {normalise_url(source)} every {interval}s")


def _local_statuses(org: str | None, sub_id: int | None) -> list[dict[str, Any]]:
    from sharedhash.server.subscriptions.service import statuses_locally
    from sharedhash.settings import get_settings
    from sharedhash.store.db import database_url, open_database

    db = open_database(database_url(get_settings()))
    try:
        return statuses_locally(db, org, sub_id)
    finally:
        db.dispose()


def _lists_summary(lists: list[dict[str, Any]]) -> str:
    """E.g. "2 active, 1 access_lost"."""
    lost = sum(m["status"] == "access_lost" for m in lists)
    return f"{len(lists) - lost} active" + (f", {lost} access_lost" if lost else "")


_ORG_FILTER: Any = typer.Option(None, "--org", help="Only this local org's (default: every org's).")


@sync_app.command("subscriptions")
def subscriptions(org: str | None = _ORG_FILTER, as_json: bool = typer.Option(False, "--json")) -> None:
    """This node's subscriptions: source, interval, last run, last error and lag (local database)."""
    with handle_errors(as_json=as_json):
        rows = _local_statuses(org, None)
        if as_json:
            for row in rows:
                emit_json(row)
            return
        table = Table("id", "org", "from", "every", "last run", "lag", "lists", "last error")
        for row in rows:
            lag = "never synced" if row["lag_seconds"] is None else f"{row['lag_seconds']:.0f}s"
            table.add_row(
                str(row["id"]),
                row["org"],
                row["from"],
                f"{row['interval']}s",
                row["last_run_at"] or "not yet",
                lag,
                _lists_summary(row["lists"]),
                row["last_error"] or "",
            )
        console.print(table)


@sync_app.command("show")
def show(
    sub_id: int = typer.Argument(..., help="The subscription's id (see `sync subscriptions`)."),
    org: str | None = _ORG_FILTER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One subscription: last run, last error, lag and when it runs next."""
    with handle_errors(as_json=as_json):
        (row,) = _local_statuses(org, sub_id)
        if as_json:
            emit_json(row)
            return
        for key, value in row.items():
            if key != "lists":
                console.print(f"{key}: {'' if value is None else value}", highlight=False, soft_wrap=True)
        table = Table("local list", "remote list", "name", "entries", "status", "since")
        for m in row["lists"]:
            status = m["status"] if m["reason"] is None else f"{m['status']} ({m['reason']})"
            table.add_row(
                str(m["list_id"]), str(m["remote_list_id"]), m["name"], str(m["entries"]), status, m["since"] or ""
            )
        console.print(table)


@sync_app.command("unsubscribe")
def unsubscribe(
    sub_id: int = typer.Argument(..., help="The subscription's id (see `sync subscriptions`)."),
    org: str | None = _ORG_FILTER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Remove a subscription: the server stops syncing it; the mirrors it made stay, no longer updated."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.subscriptions.service import remove_locally
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database

        db = open_database(database_url(get_settings()))
        try:
            url = str(remove_locally(db, sub_id, org)["from"])
        finally:
            db.dispose()
        if as_json:
            emit_json({"subscription": sub_id, "from": url, "removed": True})
        else:
            console.print(f"subscription {sub_id} to {url} removed; its mirrors stay, no longer updated")


def register(app: typer.Typer) -> None:
    """Add ``sync``."""
    app.add_typer(sync_app, name="sync")
