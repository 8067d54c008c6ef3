"""CORS on the public deterrence paths only: preflight, allowed and refused origins, never on keyed paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sharedhash.server.app import create_app
from sharedhash.server.deterrence.cors import parse_origins, public_methods
from tests.support.api import assert_error, new_list
from tests.support.db import TestClient
from tests.support.deterrence import ZORBLAX, add_rules
from tests.support.hub import Hub, make_settings, seed_orgs, wait_ready

SITE = "https://search.example.org"
CHECK = "/v1/orgs/owner/deterrence/check"


def _hub(database_url: str, tmp_path: Path, origins: str) -> Iterator[Hub]:
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, deterrence_cors_origins=origins)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        hub = Hub(client=client, keys=keys, settings=settings)
        hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
        yield hub


@pytest.fixture
def cors_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub that lets pages of SITE (and a second origin) call the public paths."""
    yield from _hub(database_url, tmp_path, f"{SITE}/, https://other.example.net:8443")


@pytest.fixture
def any_origin_hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    yield from _hub(database_url, tmp_path, "*")


def _preflight(hub: Hub, path: str, origin: str, method: str = "POST") -> object:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers["Access-Control-Request-Headers"] = "content-type"
    return hub.client.options(path, headers=headers)


def test_settings_and_paths() -> None:
    assert parse_origins(" https://A.example.org/ ,https://b.example.org:8443") == {
        "https://a.example.org",
        "https://b.example.org:8443",
    }
    assert parse_origins("") == frozenset()
    assert public_methods("/v1/orgs/owner/deterrence/check") == "POST"
    assert public_methods("/v1/orgs/7/deterrence/check.html") == "POST"
    assert public_methods("/v1/deterrence/click/abc") == "GET"
    for path in ("/v1/deterrence/check", "/v1/deterrence/check.html", "/v1/deterrence/settings", "/v1/lookup"):
        assert public_methods(path) is None


def test_preflight_and_check_from_an_allowed_origin(cors_hub: Hub) -> None:
    hub = cors_hub
    add_rules(hub, new_list(hub, name="terms")["id"], ZORBLAX)
    for path in (CHECK, CHECK + ".html"):
        r = _preflight(hub, path, SITE)
        assert r.status_code == 204  # type: ignore[attr-defined]
        assert r.headers["access-control-allow-origin"] == SITE  # type: ignore[attr-defined]
        assert r.headers["access-control-allow-methods"] == "POST, OPTIONS"  # type: ignore[attr-defined]
        assert r.headers["access-control-allow-headers"] == "Content-Type"  # type: ignore[attr-defined]
        assert "access-control-allow-credentials" not in r.headers  # type: ignore[attr-defined]
    for _ in range(2):  # the route, then the fast path
        r = hub.client.post(CHECK, json={"query": "zorblax"}, headers={"Origin": SITE})
        assert r.status_code == 200
        assert r.json()["deter"] is True
        assert r.headers["access-control-allow-origin"] == SITE
        assert "Origin" in r.headers["vary"]
    r = hub.client.post(CHECK, json={"query": "zorblax"}, headers={"Origin": "https://other.example.net:8443"})
    assert r.headers["access-control-allow-origin"] == "https://other.example.net:8443"
    # Errors carry the header too, so the page can read them (e.g. 429 with Retry-After).
    r = hub.client.post("/v1/orgs/sharee/deterrence/check", json={"query": "x"}, headers={"Origin": SITE})
    assert_error(r, 404, "not_found")
    assert r.headers["access-control-allow-origin"] == SITE
    assert "Retry-After" in r.headers["access-control-expose-headers"]
    # The help-link redirect, fetched by a page, too.
    url = hub.client.post(CHECK, json={"query": "zorblax"}).json()["resources"][0]["url"]
    assert _preflight(hub, url, SITE, "GET").status_code == 204  # type: ignore[attr-defined]
    r = hub.client.get(url, headers={"Origin": SITE}, follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["access-control-allow-origin"] == SITE


def test_other_origins_and_keyed_paths_get_no_cors(cors_hub: Hub) -> None:
    hub = cors_hub
    r = _preflight(hub, CHECK, "https://evil.example.com")
    assert_error(r, 403, "cors_origin_not_allowed")
    assert "access-control-allow-origin" not in r.headers  # type: ignore[attr-defined]
    r = hub.client.post(CHECK, json={"query": "x"}, headers={"Origin": "https://evil.example.com"})
    assert r.status_code == 200  # answered, but without the header the browser keeps it from the page
    assert "access-control-allow-origin" not in r.headers
    # Key-authenticated paths never answer CORS, whatever the origin.
    for path in ("/v1/deterrence/check", "/v1/deterrence/check.html", "/v1/deterrence/settings"):
        r = _preflight(hub, path, SITE)
        assert "access-control-allow-origin" not in r.headers  # type: ignore[attr-defined]
        assert r.status_code == 405  # type: ignore[attr-defined]
    r = hub.client.post("/v1/deterrence/check", json={"query": "x"}, headers={**hub.auth("owner"), "Origin": SITE})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_any_origin(any_origin_hub: Hub) -> None:
    hub = any_origin_hub
    r = _preflight(hub, CHECK, "https://anywhere.example")
    assert r.status_code == 204  # type: ignore[attr-defined]
    assert r.headers["access-control-allow-origin"] == "*"  # type: ignore[attr-defined]
    r = hub.client.post(CHECK, json={"query": "x"}, headers={"Origin": "https://anywhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_no_cors_by_default(hub: Hub) -> None:
    hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
    r = _preflight(hub, CHECK, SITE)
    assert r.status_code == 405  # type: ignore[attr-defined]
    r = hub.client.post(CHECK, json={"query": "x"}, headers={"Origin": SITE})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
