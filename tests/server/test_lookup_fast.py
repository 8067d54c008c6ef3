"""The fast path of ``POST /v1/lookup`` answers exactly as the route does, and leaves every refusal to the route."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from sharedhash.server.lookup.fast import plain_lookup_body
from tests.support.api import add, assert_error, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of


def _post(hub: Hub, body: Any, who: str = "owner", **kwargs: Any) -> Any:
    return hub.client.post("/v1/lookup", json=body, headers=hub.auth(who), **kwargs)


def test_fast_and_routed_answers_are_identical(hub: Hub) -> None:
    lst = new_list(hub, pdq_threshold=40)
    shared = new_list(hub, name="shared", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    for i in range(12):
        add(
            hub,
            lst["id"] if i % 2 else shared["id"],
            ("pdq", pdq(i)),
            ("md5", md5(i)),
            classification="B1",
            labels=["zorblax"],
            external_id=f"case-{i}",
        )
    bodies = [
        {"hashes": [{"hash_type": "pdq", "value": flip(pdq(1), 9)}]},
        {"hashes": [{"hash_type": "md5", "value": md5(i)} for i in range(12)]},  # over the inline size
        {"hashes": [{"hash_type": "pdq", "value": flip(pdq(i), 35)} for i in range(12)], "max_distance": 36},
        {"hashes": [{"hash_type": "pdq", "value": pdq(99)}, {"hash_type": "md5", "value": md5(2)}]},
        {"hashes": [{"hash_type": "pdq", "value": pdq(i).upper()} for i in range(12)]},  # canonicalised
        {"hashes": [{"hash_type": "md5", "value": f" {md5(i)}"} for i in range(12)], "max_distance": None},
    ]
    keys = state_of(hub).caches.keys
    for who in ("owner", "sharee"):
        for body in bodies:
            keys.clear()  # a key not in memory goes through the route (which caches it)
            routed = _post(hub, body, who)
            assert keys.get_cached(hub.keys[who].split("_")[1]) is not None
            fast = _post(hub, body, who)
            assert routed.status_code == fast.status_code == 200
            assert routed.json() == fast.json()
            assert fast.headers["content-type"] == "application/json"
    assert len(_post(hub, bodies[1], "owner").json()["matches"]) == 12
    assert len(_post(hub, bodies[1], "sharee").json()["matches"]) == 6


def test_refusals_come_from_the_route_with_a_cached_key(hub: Hub) -> None:
    assert _post(hub, {"hashes": [{"hash_type": "md5", "value": md5(1)}]}).status_code == 200  # key now cached
    assert_error(_post(hub, {"hashes": [{"hash_type": "md5", "value": "xyz"}]}), 400, "invalid_hash")
    assert_error(_post(hub, {"hashes": [{"hash_type": "quuxhash", "value": "00"}]}), 400, "unknown_hash_type")
    assert_error(_post(hub, {"hashes": []}), 422, "invalid_request")
    assert_error(_post(hub, {"hashes": [{"hash_type": "md5", "value": md5(1)}], "zorblax": 1}), 422, "invalid_request")
    too_many = [{"hash_type": "md5", "value": md5(i)} for i in range(hub.settings.max_lookup_hashes + 1)]
    assert_error(_post(hub, {"hashes": too_many}), 413, "limit_exceeded")
    r = hub.client.post(
        "/v1/lookup", content=b"{not json", headers=hub.auth("owner") | {"content-type": "application/json"}
    )
    assert_error(r, 422, "invalid_request")
    forged = {"Authorization": f"Bearer {hub.keys['owner'][:-2]}zz"}
    assert_error(
        hub.client.post("/v1/lookup", json={"hashes": [{"hash_type": "md5", "value": md5(1)}]}, headers=forged),
        401,
        "unauthenticated",
    )
    assert_error(
        hub.client.post("/v1/lookup", json={"hashes": [{"hash_type": "md5", "value": md5(1)}]}), 401, "unauthenticated"
    )


def test_plain_lookup_body_takes_only_what_the_model_takes_unchanged() -> None:
    one = {"hash_type": "md5", "value": md5(1)}
    assert plain_lookup_body(orjson.dumps({"hashes": [one]})) == ([("md5", md5(1))], None)
    assert plain_lookup_body(orjson.dumps({"hashes": [one], "max_distance": 7})) == ([("md5", md5(1))], 7)
    assert plain_lookup_body(orjson.dumps({"hashes": [one], "max_distance": None})) == ([("md5", md5(1))], None)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b"{}",
        b'{"hashes": []}',
        b'{"hashes": {}}',
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00"}], "zorblax": 1}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00"}], "max_distance": "5"}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00"}], "max_distance": True}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00"}], "max_distance": 64}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00"}], "max_distance": -1}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00", "quality": 90}]}),
        orjson.dumps({"hashes": [{"hash_type": "md5"}]}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": 12}]}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": ""}]}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "0" * 513}]}),
        orjson.dumps({"hashes": [{"hash_type": "md5", "value": "00\x0000"}]}),
        orjson.dumps({"hashes": [{"hash_type": "quuxhash", "value": "00"}]}),
        orjson.dumps({"hashes": ["md5:00"]}),
    ],
)
def test_plain_lookup_body_leaves_everything_else_to_the_route(body: bytes) -> None:
    assert plain_lookup_body(body) is None
