"""Public mode: the check without an API key, per org setting, rate-limited per org and per client (429)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sharedhash.server.app import create_app
from sharedhash.server.deterrence.limits import PublicLimiter, TokenBuckets
from tests.support.api import assert_error, new_list
from tests.support.db import TestClient
from tests.support.deterrence import ZORBLAX, add_rules
from tests.support.hub import Hub, make_settings, seed_orgs, wait_ready


def public(hub: Hub, org: str, query: str, html: bool = False) -> object:
    suffix = ".html" if html else ""
    return hub.client.post(f"/v1/orgs/{org}/deterrence/check{suffix}", json={"query": query})


def test_public_mode_is_off_until_the_org_turns_it_on(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    assert_error(public(hub, "owner", "zorblax"), 404, "not_found")
    assert_error(public(hub, "nobody", "zorblax"), 404, "not_found")
    r = hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.json()["public"] is True
    r = public(hub, "owner", "zorblax")
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["deter"] is True
    assert body["message"]["help"]
    assert "explain" not in body
    org_id = hub.client.get("/v1/orgs/me", headers=hub.auth("owner")).json()["id"]
    assert public(hub, str(org_id), "zorblax").json()["deter"] is True  # type: ignore[attr-defined]
    html = public(hub, "owner", "zorblax", html=True)
    assert html.text.startswith('<div class="sharedhash-deterrence"')  # type: ignore[attr-defined]
    # Public callers cannot ask which rule fired; other orgs' public mode is separate.
    r = hub.client.post("/v1/orgs/owner/deterrence/check", json={"query": "zorblax", "explain": True})
    assert_error(r, 400, "invalid_check_request")
    assert_error(public(hub, "sharee", "zorblax"), 404, "not_found")
    hub.client.put("/v1/deterrence/settings", json={"public": False}, headers=hub.auth("owner"))
    assert_error(public(hub, "owner", "zorblax"), 404, "not_found")


def test_public_rate_limit_per_org(hub: Hub) -> None:
    r = hub.client.put(
        "/v1/deterrence/settings", json={"public": True, "public_per_minute": 3}, headers=hub.auth("owner")
    )
    assert r.status_code == 200
    statuses = [public(hub, "owner", "garden").status_code for _ in range(3)]  # type: ignore[attr-defined]
    assert statuses == [200, 200, 200]
    r = public(hub, "owner", "garden")
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    # The authenticated check is not limited by public mode.
    assert hub.client.post("/v1/deterrence/check", json={"query": "x"}, headers=hub.auth("owner")).status_code == 200


@pytest.fixture
def strict_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub allowing each public client 2 checks a minute."""
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, deterrence_public_client_per_minute=2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield Hub(client=client, keys=keys, settings=settings)


def test_public_rate_limit_per_client(strict_hub: Hub) -> None:
    hub = strict_hub
    for org in ("owner", "sharee"):
        hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth(org))
    assert [public(hub, "owner", "a").status_code for _ in range(2)] == [200, 200]  # type: ignore[attr-defined]
    assert_error(public(hub, "owner", "a"), 429, "rate_limited")
    # Another org's search box has its own allowance for the same client.
    assert public(hub, "sharee", "a").status_code == 200  # type: ignore[attr-defined]


def test_token_buckets_refill_and_client_keys_hide_addresses() -> None:
    buckets = TokenBuckets(max_keys=2)
    assert [buckets.take("a", 60, now=0.0) for _ in range(60)] == [0.0] * 60
    assert buckets.take("a", 60, now=0.0) == pytest.approx(1.0)
    assert buckets.take("a", 60, now=2.0) == 0.0  # refilled one a second
    buckets.take("b", 60, now=2.0)
    buckets.take("c", 60, now=2.0)  # "a" is dropped: at most max_keys buckets are kept
    assert buckets.take("a", 60, now=2.0) == 0.0
    limiter, other = PublicLimiter(10), PublicLimiter(10)
    key = limiter.client_key("203.0.113.7")
    # An HMAC digest, not the address in any form ("203" may well occur in random hex: no such check here).
    assert "203.0.113.7" not in key
    assert len(key) == 32
    assert set(key) <= set("0123456789abcdef")
    assert key == limiter.client_key("203.0.113.7") != other.client_key("203.0.113.7")  # per-process secret
