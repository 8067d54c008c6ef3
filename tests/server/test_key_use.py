"""Issue 18 F10: a key's last-used time is noted in memory and written in batches, so that many fresh keys at
once never take the database's connections; the database at capacity answers 503 ``busy``, never 500."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx

from sharedhash.server.memory.key_use import KeyUseBuffer
from sharedhash.store.db import open_database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import caller_for_org, create_key, get_org_by_name, list_keys
from tests.support.hub import Hub, make_settings, seed_orgs, state_of
from tests.support.live import start_server


def test_last_used_times_are_noted_then_written_in_one_batch(hub: Hub) -> None:
    state = state_of(hub)
    made = [hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json() for _ in range(5)]
    # The buffer on its own (the loop also flushes it every audit_flush_seconds): the newest time per key wins,
    # and one flush writes every noted key.
    early, late = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)
    buffer = KeyUseBuffer(state.db)
    for key in made:
        buffer.note(key["id"], late)
        buffer.note(key["id"], early)
    assert buffer.flush() == 5
    assert buffer.flush() == 0
    with state.db.reading() as session:
        stored = {k.id: k.last_used_at for k in list_keys(session, caller_for_org(get_org_by_name(session, "owner")))}
    assert {stored[k["id"]].replace(tzinfo=UTC) for k in made} == {late}  # type: ignore[union-attr]
    # Through the API: a request notes its key's use; listing the keys shows it (the listing flushes first).
    fresh = hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json()
    assert hub.client.get("/v1/hash-lists", headers={"Authorization": f"Bearer {fresh['key']}"}).status_code == 200
    listed = {k["id"]: k["last_used_at"] for k in hub.client.get("/v1/keys", headers=hub.auth("owner")).json()}
    assert listed[fresh["id"]]


def test_many_fresh_keys_at_once_get_answers_never_500(database_url: str, tmp_path: Path) -> None:
    seed_orgs(database_url)
    database = open_database(database_url)
    try:
        with database.writing() as session:
            org = get_org_by_name(session, "owner")
            tokens = [create_key(session, org.id, frozenset({Scope.READ})).token for _ in range(60)]
    finally:
        database.dispose()
    live = start_server(make_settings(tmp_path, database_url))
    statuses: list[int] = []

    async def one(client: httpx.AsyncClient, token: str) -> None:
        body = {"hashes": [{"hash_type": "md5", "value": "0" * 32}]}
        for _ in range(2):
            r = await client.post("/v1/lookup", json=body, headers={"Authorization": f"Bearer {token}"})
            statuses.append(r.status_code)

    async def run() -> None:
        # No keep-alive: a connection the server closes after its idle timeout is never reused mid-request.
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=live.url, timeout=120, limits=limits) as client:
            await asyncio.gather(*(one(client, tokens[i % len(tokens)]) for i in range(200)))

    try:
        asyncio.run(run())
    finally:
        live.stop()
    assert len(statuses) == 400
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
