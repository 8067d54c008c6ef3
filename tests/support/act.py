"""Helpers of the act tests (content checks, rules, retroactive matching): a hub whose background rounds of
retroactive matching and purging are left to the test (run by calling the service), and webhook endpoints made
on its database (the endpoints' API is the webhooks domain's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharedhash.server.app import create_app
from sharedhash.server.state import HubState
from sharedhash.store.models import WebhookEndpoint
from sharedhash.store.orgs import get_org_by_name
from tests.support.db import TestClient
from tests.support.hub import Hub, make_settings, seed_orgs, state_of, wait_ready


@pytest.fixture
def act_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A ready hub with three orgs whose retroactive and purge rounds run only when a test calls them."""
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, retroactive_seconds=3600.0, check_purge_seconds=3600.0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        hub = Hub(client=client, keys=keys, settings=settings)
        state_of(hub).check_hashes.ready.wait(20)
        yield hub


def add_endpoint(hub: Hub, name: str, who: str = "owner") -> int:
    """A webhook endpoint of ``who``'s org, written on the database; its id."""
    state: HubState = state_of(hub)
    with state.db.writing() as s:
        org = get_org_by_name(s, who)
        endpoint = WebhookEndpoint(org_id=org.id, name=name, url="https://127.0.0.1:9/hook", secret="sealed")
        s.add(endpoint)
        s.flush()
        return endpoint.id


def check(hub: Hub, content_id: str, *hashes: tuple[str, str], who: str = "owner", **meta: Any) -> dict[str, Any]:
    """A hash-only check through the API; its answer."""
    body = {"content_id": content_id, "hashes": [{"hash_type": t, "value": v} for t, v in hashes], **meta}
    r = hub.client.post("/v1/content", json=body, headers=hub.auth(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def add_rule(hub: Hub, who: str = "owner", **body: Any) -> dict[str, Any]:
    """Add a rule through the API; the stored rule."""
    r = hub.client.post("/v1/rules", json=body, headers=hub.auth(who))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]
