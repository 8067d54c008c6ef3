"""Webhook test helpers: a real HTTP receiver on loopback (uvicorn in a thread) that verifies every request with
the ``standardwebhooks`` library and answers as a test tells it (fail, time out, return 500 for a while, redirect),
a hub whose settings allow loopback receivers and retry quickly, and events written with ``store.outbox.add_event``
as the act service writes them."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.types import Receive, Scope, Send

from sharedhash.server.app import create_app
from sharedhash.store.db import Database, open_database
from sharedhash.store.models import OutboxEvent, OutboxState
from sharedhash.store.orgs import get_org_by_name
from sharedhash.store.outbox import add_event, endpoint_by_name
from tests.support.db import TestClient
from tests.support.hub import Hub, make_settings, seed_orgs, wait_ready
from tests.support.live import free_port

#: Settings of a test hub that delivers webhooks to loopback receivers and retries within seconds.
FAST_RETRIES: dict[str, Any] = {
    "webhook_allow_loopback": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2,
    "webhook_retry_total_seconds": 2.0,
    "webhook_poll_seconds": 0.05,
    "webhook_connect_timeout": 1.0,
    "webhook_read_timeout": 0.5,
    "webhook_lease_seconds": 10.0,
}


@dataclass(frozen=True)
class Received:
    """One request the receiver got: its Standard Webhooks headers, body, and which secrets verify it."""

    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    verified_by: tuple[bool, ...]
    status: int
    at: float
    #: The request's Host header.
    host: str = ""

    @property
    def envelope(self) -> dict[str, Any]:
        """The parsed body."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


#: How the receiver answers: (status, seconds to wait first, body) for the n-th request (1-based) of a webhook id.
Behaviour = Callable[[str, int], tuple[int, float, bytes]]


def always_ok(_: str, __: int) -> tuple[int, float, bytes]:
    """2xx at once."""
    return 200, 0.0, b'{"ok":true}'


@dataclass
class Receiver:
    """A real HTTP receiver: verifies each request with every secret it knows (standardwebhooks) and records it."""

    secrets: list[str] = field(default_factory=list)
    behaviour: Behaviour = always_ok
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender went away mid-request (e.g. it was killed): nothing was received
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                verified.append(True)
            except WebhookVerificationError:
                verified.append(False)
        webhook_id = headers.get("webhook-id", "")
        with self._lock:
            self._counts[webhook_id] += 1
            nth = self._counts[webhook_id]
        status, wait, answer = self.behaviour(webhook_id, nth)
        if self.secrets and not any(verified):
            status, wait, answer = 400, 0.0, b'{"error":"bad signature"}'
        if wait:
            await asyncio.sleep(wait)
        self.received.append(
            Received(
                webhook_id=webhook_id,
                timestamp=headers.get("webhook-timestamp", ""),
                signature=headers.get("webhook-signature", ""),
                body=body,
                verified_by=tuple(verified),
                status=status,
                at=time.monotonic(),
                host=headers.get("host", ""),
            )
        )
        extra = [(b"location", b"http://127.0.0.1:9/elsewhere")] if 300 <= status < 400 else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": answer})

    def start(self, port: int | None = None, tls: tuple[Path, Path] | None = None) -> Receiver:
        """Serve on loopback (a given port, to come back on the same URL) and wait until it listens; over https
        with ``tls`` (certificate and key files)."""
        port = port or free_port()
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=None if tls is None else str(tls[0]),
            ssl_keyfile=None if tls is None else str(tls[1]),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise AssertionError("the receiver did not start")
            time.sleep(0.01)
        self.url = f"{'http' if tls is None else 'https'}://127.0.0.1:{port}/hook"
        return self

    def stop(self) -> None:
        """Stop serving (connections are refused afterwards)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)

    def delivered_ids(self) -> list[str]:
        """Webhook ids answered with 2xx, in the order they arrived (duplicates kept)."""
        return [r.webhook_id for r in self.received if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver (set its ``secrets`` and ``behaviour`` in the test)."""
    made = Receiver().start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def webhook_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A ready hub with three orgs that delivers to loopback receivers and retries within seconds."""
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, **FAST_RETRIES)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield Hub(client=client, keys=keys, settings=settings)


def db_of(hub: Hub) -> Database:
    """The running app's database."""
    database: Database = hub.client.app.state.hub.db  # type: ignore[attr-defined]
    return database


def add_endpoint(hub: Hub, name: str, url: str, who: str = "owner") -> dict[str, Any]:
    """Create an endpoint through the API; the answer holds its secret."""
    response = hub.client.post("/v1/webhooks", json={"name": name, "url": url}, headers=hub.auth(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def write_events(
    db: Database, org: str, endpoint: str, keys_and_payloads: list[tuple[str, dict[str, Any]]]
) -> list[str]:
    """Write events as the act service does (``add_event`` in one transaction); return their webhook ids."""
    ids: list[str] = []
    with db.writing() as s:
        org_id = get_org_by_name(s, org).id
        found = endpoint_by_name(s, org_id, endpoint)
        assert found is not None
        for key, payload in keys_and_payloads:
            event = add_event(
                s, org_id=org_id, endpoint_id=found.id, event_type="match.block", ordering_key=key, payload=payload
            )
            ids.append(event.webhook_id)
    return ids


def states(db: Database) -> Counter[str]:
    """How many events are in each state."""
    with db.reading() as s:
        return Counter(s.scalars(select(OutboxEvent.state)).all())


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "the condition") -> None:
    """Poll until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def all_finished(db: Database) -> bool:
    """No event is pending."""
    return states(db)[OutboxState.PENDING.value] == 0


def open_db(url: str) -> Database:
    """A database handle (no migrations: the hub made them)."""
    return open_database(url, migrate=False)


@pytest.fixture
def webhook_cli_hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """The CLI tests' live hub (``hub`` of tests/support/cli.py), allowing loopback receivers and quick retries."""
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(f"SHAREDHASH_{name.upper()}", str(value).lower() if isinstance(value, bool) else str(value))
    found: tuple[Any, str] = request.getfixturevalue("hub")
    return found
