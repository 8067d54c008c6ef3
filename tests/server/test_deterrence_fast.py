"""The deterrence fast path (an ASGI middleware) answers exactly as the routes do, and leaves them the rest."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sharedhash.server.deterrence.fast import FastDeterrence, route_of
from tests.support.api import assert_error, new_list
from tests.support.deterrence import NEAR, ZORBLAX, add_rules
from tests.support.hub import Hub

QUERIES = ["zorblax", "Z.0.R.B.L.4.X pics", "garden", "", "zorblqx", "quuxvid x frobnitz", "a\x00b", "\ud800zorblax"]


def _served(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each request the middleware sees, whether it answered it itself."""
    served: list[bool] = []
    original = FastDeterrence._answer

    def spy(self: FastDeterrence, *args: Any) -> Any:
        response = original(self, *args)
        served.append(response is not None)
        return response

    monkeypatch.setattr(FastDeterrence, "_answer", spy)
    return served


def _comparable(text: str) -> str:
    return re.sub(r"/v1/deterrence/click/[A-Za-z0-9_-]+", "/v1/deterrence/click/TOKEN", text)


def test_route_of_knows_only_the_check_paths() -> None:
    assert route_of("/v1/deterrence/check") == (None, False)
    assert route_of("/v1/deterrence/check.html") == (None, True)
    assert route_of("/v1/orgs/owner/deterrence/check") == ("owner", False)
    assert route_of("/v1/orgs/7/deterrence/check.html") == ("7", True)
    others = ("/v1/orgs//deterrence/check", "/v1/orgs/a/b/deterrence/check", "/v1/deterrence/settings", "/v1/lookup")
    for path in others:
        assert route_of(path) is None


def test_fast_answers_equal_the_routes(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX, NEAR)
    hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
    served = _served(monkeypatch)
    paths = ["/v1/deterrence/check", "/v1/deterrence/check.html", "/v1/orgs/owner/deterrence/check",
             "/v1/orgs/owner/deterrence/check.html"]  # fmt: skip
    for path in paths:
        headers = {} if "/orgs/" in path else hub.auth("owner")
        for query in QUERIES:
            # ASCII JSON: a lone surrogate travels as its escape
            body = json.dumps({"query": query, "locale": "de-DE", "country": "DE"}).encode()
            headers = {**headers, "Content-Type": "application/json"}
            first = hub.client.post(path, content=body, headers=headers)  # the route, or the fast path once warm
            served.clear()
            again = hub.client.post(path, content=body, headers=headers)
            assert served == [True], (path, query)
            assert again.status_code == first.status_code == 200
            assert _comparable(again.text) == _comparable(first.text)
            assert again.headers["content-type"] == first.headers["content-type"]
            assert again.headers["cache-control"] == "no-store"
    # A fast answer's help link works like any other.
    answer = hub.client.post("/v1/deterrence/check", json={"query": "zorblax"}, headers=hub.auth("owner")).json()
    assert hub.client.get(answer["resources"][0]["url"], follow_redirects=False).status_code == 302


def test_the_routes_answer_everything_else(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    hub.client.post("/v1/deterrence/check", json={"query": "x"}, headers=hub.auth("owner"))
    served = _served(monkeypatch)
    r = hub.client.post("/v1/deterrence/check", json={"query": "zorblax", "explain": True}, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.json()["explain"]
    r = hub.client.post("/v1/deterrence/check", content=b"{not json", headers=hub.auth("owner"))
    assert_error(r, 400, "invalid_check_request")
    r = hub.client.post("/v1/deterrence/check", json={"query": "x"}, headers={"Authorization": "Bearer shk_nope"})
    assert r.status_code == 401
    assert_error(hub.client.post("/v1/deterrence/check", json={"query": "x"}), 401, "unauthenticated")
    assert_error(hub.client.post("/v1/orgs/owner/deterrence/check", json={"query": "x"}), 404, "not_found")
    assert not any(served)
