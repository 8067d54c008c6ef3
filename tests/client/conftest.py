"""Client fixtures: the client over an in-process hub (no sockets), through an httpx transport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sharedhash.client import Client
from sharedhash.server.app import create_app
from tests.support.db import TestClient, database_url, db, pg_template
from tests.support.hub import make_settings, seed_orgs, wait_ready

__all__ = ["database_url", "db", "pg_template"]


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport that hands each request to a running in-process app (starlette's TestClient)."""

    def __init__(self, app_client: TestClient) -> None:
        self.app_client = app_client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in ("host", "content-length")]
        target = request.url.raw_path.decode()
        got = self.app_client.request(request.method, target, headers=headers, content=body)
        return httpx.Response(got.status_code, headers=got.headers, content=got.content)


@pytest.fixture
def clients(database_url: str, tmp_path: Path) -> Iterator[dict[str, Client]]:
    """Clients for the owner, sharee and stranger orgs of a fresh in-process hub."""
    keys = seed_orgs(database_url)
    with TestClient(create_app(make_settings(tmp_path, database_url)), raise_server_exceptions=False) as app:
        wait_ready(app)
        transport = InProcessTransport(app)
        made = {who: Client("http://hub.test", token, transport=transport) for who, token in keys.items()}
        yield made
        for c in made.values():
            c.close()
