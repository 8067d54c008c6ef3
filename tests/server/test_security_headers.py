"""Security headers on every answer, one rule for duplicate ``Authorization`` headers, and 413 for every body over
the limit, whether declared or streamed (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sharedhash.server.app import create_app
from tests.support.api import add, assert_error, md5, new_list
from tests.support.db import TestClient
from tests.support.hub import Hub, make_settings, seed_orgs, wait_ready


def _secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_every_kind_of_answer_carries_the_security_headers(hub: Hub) -> None:
    lst = new_list(hub, visibility="members")
    add(hub, lst["id"], ("md5", md5(1)))
    owner = hub.auth("owner")
    hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=owner)
    answers = [
        hub.client.get("/healthz"),
        hub.client.get("/v1/orgs/me"),  # 401
        hub.client.get("/v1/nowhere", headers=owner),  # 404
        hub.client.get(f"/v1/hash-lists/{lst['id']}/export", headers=owner),  # streamed
        hub.client.get(f"/v1/hash-lists/{lst['id']}/feed", headers=owner),
        hub.client.post("/v1/lookup", json={"hashes": [{"hash_type": "md5", "value": md5(1)}]}, headers=owner),
        hub.client.post("/v1/deterrence/check", json={"query": "zorblax"}, headers=owner),
        hub.client.post("/v1/deterrence/check.html", json={"query": "zorblax"}, headers=owner),
        hub.client.post("/v1/orgs/owner/deterrence/check", json={"query": "zorblax"}),
        hub.client.post("/v1/lookup", content=b"[" * 10_000, headers=owner),
        hub.client.get("/openapi.json"),
    ]
    for response in answers:
        _secured(response)
        assert "default-src 'none'" in response.headers["content-security-policy"]
    docs = hub.client.get("/docs")
    _secured(docs)
    assert "default-src" not in docs.headers["content-security-policy"]  # the page loads its scripts


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/orgs/me", None),
        ("POST", "/v1/lookup", {"hashes": [{"hash_type": "md5", "value": "0" * 32}]}),  # the fast path
        ("POST", "/v1/deterrence/check", {"query": "zorblax"}),  # the deterrence fast path
    ],
)
def test_two_authorization_headers_are_refused_everywhere(hub: Hub, method: str, path: str, body: object) -> None:
    # Both keys valid, of different orgs: which one counts must not depend on who reads the headers.
    for first, second in (("owner", "stranger"), ("owner", "owner")):
        headers = [("authorization", f"Bearer {hub.keys[first]}"), ("authorization", f"Bearer {hub.keys[second]}")]
        for _ in range(3):  # the fast paths take cached keys after a first use: ask again
            r = hub.client.request(method, path, json=body, headers=headers)
            assert_error(r, 400, "duplicate_authorization")
            _secured(r)
    assert hub.client.request(method, path, json=body, headers=hub.auth("owner")).status_code == 200


@pytest.fixture
def small_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub whose request bodies may be 4 KiB and imports 8 KiB."""
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, max_request_bytes=4096, max_import_bytes=8192)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield Hub(client=client, keys=keys, settings=settings)


def _chunks(total: int) -> Iterator[bytes]:
    # A streamed body (no Content-Length): the limit can only be seen while counting.
    sent = 0
    while sent < total:
        yield b" " * 1024
        sent += 1024


@pytest.mark.parametrize(
    "path",
    ["/v1/hash-lists", "/v1/lookup", "/v1/deterrence/check", "/v1/orgs/owner/deterrence/check", "/v1/keys"],
)
def test_over_limit_bodies_answer_413_declared_or_streamed(small_hub: Hub, path: str) -> None:
    hub = small_hub
    hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
    headers = {**hub.auth("owner"), "content-type": "application/json"}
    declared = hub.client.post(path, content=b" " * 5000, headers=headers)
    assert_error(declared, 413, "limit_exceeded")
    streamed = hub.client.post(path, content=_chunks(64 * 1024), headers=headers)
    assert_error(streamed, 413, "limit_exceeded")
    _secured(streamed)
    assert hub.client.get("/healthz").status_code == 200


def test_over_limit_streamed_import_answers_413_and_writes_nothing(small_hub: Hub) -> None:
    hub = small_hub
    lst = new_list(hub)
    line = b'{"hashes": [{"hash_type": "md5", "value": "' + md5(1).encode() + b'"}]}\n'
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=iter([line] * 200), headers=hub.auth("owner"))
    assert_error(r, 413, "limit_exceeded")
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 0
