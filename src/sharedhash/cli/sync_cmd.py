"""``sharedhash sync``: mirror every list a remote key can read into this node's database (crash-safe, resumable)."""

from __future__ import annotations

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from sharedhash.cli.output import console, emit_json, err_console, handle_errors
from sharedhash.errors import AuthenticationError

sync_app = typer.Typer(help="Mirror a hub's lists into this node: now, or on a schedule (subscribe).")


@sync_app.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--from", help="The hub's URL."),
    api_key: str | None = typer.Option(None, "--api-key", help="An API key of your org on that hub."),
    org: str | None = typer.Option(
        None, "--org", help="Local org owning the mirrors (default: your org's name there)."
    ),
    page_size: int = typer.Option(10_000, "--page-size", min=1, max=10_000, help="Feed changes per request."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Pull every list the key can read into local read-only mirrored lists, from the stored cursors."""
    if ctx.invoked_subcommand is not None:
        return
    with handle_errors(as_json=as_json):
        from sharedhash.client import Client
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database
        from sharedhash.sync.mirror import sync_from

        if not source or not api_key:
            raise AuthenticationError(
                "sync needs --from URL and --api-key KEY",
                hint="e.g. sharedhash sync --from https://hub.example --api-key shk_...",
            )
        db = open_database(database_url(get_settings()))
        try:
            with (
                Client(source, api_key) as client,
                Progress(
                    SpinnerColumn(), TextColumn("{task.description}"), console=err_console, disable=as_json
                ) as progress,
            ):
                task = progress.add_task("syncing…")

                def on_page(item: object) -> None:
                    from sharedhash.sync.mirror import ListReport

                    assert isinstance(item, ListReport)
                    progress.update(task, description=f"{item.name}: +{item.added} ~{item.updated} -{item.removed}")

                report = sync_from(db, client, org_name=org, page_size=page_size, on_page=on_page)
        finally:
            db.dispose()
        if as_json:
            emit_json(
                {
                    "source": report.source,
                    "org": report.org,
                    "changed": report.changed,
                    "lists": [
                        {
                            "remote_list_id": r.remote_list_id,
                            "local_list_id": r.local_list_id,
                            "name": r.name,
                            "added": r.added,
                            "updated": r.updated,
                            "removed": r.removed,
                            "last_seq": r.last_seq,
                        }
                        for r in report.lists
                    ],
                }
            )
            return
        table = Table("remote list", "local list", "name", "added", "updated", "removed")
        for r in report.lists:
            table.add_row(
                str(r.remote_list_id), str(r.local_list_id), r.name, str(r.added), str(r.updated), str(r.removed)
            )
        console.print(table)


@sync_app.command("subscribe")
def subscribe(
    source: str = typer.Option(..., "--from", help="The hub's URL."),
    api_key: str = typer.Option(..., "--api-key", help="An API key of your org on that hub."),
    org: str = typer.Option(..., "--org", help="Local org owning the mirrors."),
    interval: int = typer.Option(60, "--interval", min=1, help="Seconds between syncs."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Store a subscription that the running server syncs on a schedule."""
    with handle_errors(as_json=as_json):
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database
        from sharedhash.store.mirror import add_subscription
        from sharedhash.sync.mirror import local_caller, normalise_url

        db = open_database(database_url(get_settings()))
        try:
            caller = local_caller(db, org)
            with db.writing() as session:
                sub = add_subscription(session, caller, normalise_url(source), api_key, interval)
                sub_id = sub.id
        finally:
            db.dispose()
        if as_json:
            emit_json({"subscription": sub_id, "from": normalise_url(source), "org": org, "interval": interval})
        else:
            console.print(f"subscription {sub_id}: the server syncs {normalise_url(source)} every {interval}s")


def register(app: typer.Typer) -> None:
    """Add ``sync``."""
    app.add_typer(sync_app, name="sync")
