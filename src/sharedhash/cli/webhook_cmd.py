"""``sharedhash webhook``: an org's webhook endpoints (add, list, show, remove, pause, resume, rotate-secret),
their deliveries (list, inspect, redeliver), and ``worker``, the delivery worker run on its own beside a hub."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError

if TYPE_CHECKING:
    from sharedhash.client.models import WebhookEndpoint

webhook_app = typer.Typer(
    help="Webhook endpoints: add (secret shown once), list, show, pause, resume, rotate-secret, remove; "
    "deliveries and redeliver; worker.",
    no_args_is_help=True,
)

ID_ARG: Any = typer.Argument(..., help="The endpoint's id (see `webhook list`).", min=1)


def _table(endpoints: list[WebhookEndpoint]) -> Table:
    table = Table("id", "name", "url", "paused", "pending", "delivered", "dead", "old secret until")
    for e in endpoints:
        table.add_row(
            str(e.id),
            e.name,
            e.url,
            "yes" if e.paused else "",
            str(e.events.pending),
            str(e.events.delivered),
            str(e.events.dead),
            str(e.previous_secret_until or ""),
        )
    return table


def _show(endpoint: WebhookEndpoint, as_json: bool) -> None:
    if as_json:
        emit_json(endpoint.model_dump(mode="json"))
    else:
        console.print(_table([endpoint]))


@webhook_app.command("add")
def add(
    name: str = typer.Argument(..., help="What the action rules call it (letters, digits, _ . -)."),
    url: str = typer.Argument(..., help="Where events are POSTed: https://..."),
    hub_url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add an endpoint and print its signing secret (shown once)."""
    with handle_errors(as_json=as_json), make_client(hub_url, api_key) as client:
        made = client.add_webhook(name, url)
        if as_json:
            emit_json(made.model_dump(mode="json"))
        else:
            console.print(f"endpoint {made.id} ({made.name}); its signing secret, shown once:")
            console.print(made.secret, highlight=False, soft_wrap=True)


@webhook_app.command("list")
def list_endpoints(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Your org's endpoints with their event counts (never a secret)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        found = client.webhooks()
        if as_json:
            for e in found:
                emit_json(e.model_dump(mode="json"))
        else:
            console.print(_table(found))


@webhook_app.command("show")
def show(
    endpoint_id: int = ID_ARG,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One endpoint with its event counts."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _show(client.get_webhook(endpoint_id), as_json)


@webhook_app.command("remove")
def remove(
    endpoint_id: int = ID_ARG,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove an endpoint; its pending events are marked dead (kept)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _show(client.remove_webhook(endpoint_id), as_json)


@webhook_app.command("pause")
def pause(
    endpoint_id: int = ID_ARG,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Hold an endpoint's events (in order) until it is resumed."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _show(client.pause_webhook(endpoint_id, True), as_json)


@webhook_app.command("resume")
def resume(
    endpoint_id: int = ID_ARG,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send a paused endpoint's events again, the held ones first."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _show(client.pause_webhook(endpoint_id, False), as_json)


@webhook_app.command("rotate-secret")
def rotate_secret(
    endpoint_id: int = ID_ARG,
    overlap: int = typer.Option(
        86400, "--overlap", min=0, help="Seconds during which events carry signatures with both secrets."
    ),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Make a new signing secret (shown once); the old one also signs during the overlap."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        made = client.rotate_webhook_secret(endpoint_id, overlap)
        if as_json:
            emit_json(made.model_dump(mode="json"))
        else:
            until = f"; the old one also signs until {made.previous_secret_until}" if made.previous_secret_until else ""
            console.print(f"endpoint {made.id} ({made.name}): new signing secret, shown once{until}:")
            console.print(made.secret, highlight=False, soft_wrap=True)


@webhook_app.command("deliveries")
def deliveries(
    endpoint_id: int = ID_ARG,
    event: int | None = typer.Option(None, "--event", min=1, help="Show this event's payload and every attempt."),
    state: str | None = typer.Option(None, "--state", help="Only pending, delivered or dead events."),
    before: int | None = typer.Option(None, "--before", min=1, help="Only events with a smaller id (paging)."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="Most events to list."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """An endpoint's events (newest first), or one event with its attempts."""
    with handle_errors(as_json=as_json):
        if state is not None and state not in ("pending", "delivered", "dead"):
            raise InvalidInputError(f"--state must be pending, delivered or dead, not {state!r}")
        with make_client(url, api_key) as client:
            if event is not None:
                detail = client.webhook_event(endpoint_id, event)
                if as_json:
                    emit_json(detail.model_dump(mode="json"))
                    return
                console.print(
                    f"event {detail.id} {detail.event_type} ({detail.webhook_id}), key {detail.ordering_key}: "
                    f"{detail.state} after {detail.attempts} attempt(s)",
                    highlight=False,
                )
                table = Table("attempt", "started", "outcome", "ms", "status", "answer / error")
                for a in detail.attempt_log:
                    said = a.error or (a.response or "")
                    table.add_row(
                        str(a.id),
                        str(a.started_at),
                        a.outcome,
                        f"{a.latency_ms:.1f}",
                        str(a.status_code or ""),
                        said[:80],
                    )
                console.print(table)
                return
            found = client.webhook_events(endpoint_id, state=state, before=before, limit=limit)
            if as_json:
                for e in found:
                    emit_json(e.model_dump(mode="json"))
                return
            table = Table("id", "type", "key", "state", "attempts", "next attempt", "created", "webhook-id")
            for e in found:
                table.add_row(
                    str(e.id),
                    e.event_type,
                    e.ordering_key[:30],
                    e.state,
                    str(e.attempts),
                    str(e.next_attempt_at or ""),
                    str(e.created_at),
                    e.webhook_id,
                )
            console.print(table)


@webhook_app.command("redeliver")
def redeliver(
    endpoint_id: int = ID_ARG,
    event: int | None = typer.Argument(None, help="The event to send again (see `webhook deliveries`).", min=1),
    all_dead: bool = typer.Option(False, "--all-dead", help="Send every dead event of the endpoint again."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send one event, or every dead event, again (with the same webhook-id)."""
    with handle_errors(as_json=as_json):
        if (event is None) == (not all_dead):
            raise InvalidInputError("give either an event id or --all-dead")
        with make_client(url, api_key) as client:
            if event is not None:
                again = client.redeliver_webhook_event(endpoint_id, event)
                if as_json:
                    emit_json(again.model_dump(mode="json"))
                else:
                    console.print(f"event {again.id} ({again.webhook_id}) queued again")
                return
            count = client.redeliver_dead_webhook_events(endpoint_id)
            if as_json:
                emit_json({"redelivered": count})
            else:
                console.print(f"{count} dead event(s) queued again")


@webhook_app.command("worker")
def worker(
    seconds: float = typer.Option(0, "--seconds", min=0, help="Stop after this many seconds (0: until Ctrl-C)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the delivery worker alone on this node's database (set SHAREDHASH_WEBHOOK_WORKER=false on the server)."""
    with handle_errors(as_json=as_json):
        import threading

        from sharedhash.server.webhooks.worker import DeliveryWorker
        from sharedhash.settings import get_settings
        from sharedhash.store.db import database_url, open_database

        settings = get_settings()
        db = open_database(database_url(settings))
        stop = threading.Event()
        runner = DeliveryWorker(db, settings, stop)
        thread = threading.Thread(target=runner.run, name="sharedhash-webhooks", daemon=True)
        thread.start()
        end = time.monotonic() + seconds if seconds else None
        status = None if as_json else console.status("delivering webhook events")
        try:
            if status is not None:
                status.start()
            while thread.is_alive() and (end is None or time.monotonic() < end):
                if status is not None:
                    s = runner.stats
                    status.update(
                        f"delivering webhook events: {s.delivered} delivered, {s.failed} failed, {s.dead} dead"
                    )
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            if status is not None:
                status.stop()
            stop.set()
            thread.join(timeout=settings.webhook_connect_timeout + settings.webhook_read_timeout + 5)
            db.dispose()
        s = runner.stats
        summary = {"attempts": s.attempts, "delivered": s.delivered, "failed": s.failed, "dead": s.dead}
        if as_json:
            emit_json(summary)
        else:
            console.print(f"{s.attempts} attempt(s): {s.delivered} delivered, {s.failed} failed, {s.dead} dead")


def register(app: typer.Typer) -> None:
    """Add ``webhook``."""
    app.add_typer(webhook_app, name="webhook")
