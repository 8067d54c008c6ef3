"""Action rules through the API: order and positions, validation (field and reason), the dry run with its reasons,
and the suppression list."""

from __future__ import annotations

from typing import Any

from tests.support.act import add_endpoint, add_rule
from tests.support.api import assert_error, md5, new_list
from tests.support.hub import Hub


def _test(hub: Hub, **body: Any) -> dict[str, Any]:
    r = hub.client.post("/v1/rules/test", json=body, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_rules_run_in_order_and_positions_shift(act_hub: Hub) -> None:
    add_rule(act_hub, name="a", actions=[{"type": "review"}])
    add_rule(act_hub, name="b", actions=[{"type": "review"}])
    first = add_rule(act_hub, name="c", actions=[{"type": "review"}], position=1)
    names = [(r["name"], r["position"]) for r in act_hub.client.get("/v1/rules", headers=act_hub.auth("owner")).json()]
    assert names == [("c", 1), ("a", 2), ("b", 3)]
    assert act_hub.client.delete(f"/v1/rules/{first['id']}", headers=act_hub.auth("owner")).status_code == 200
    names = [(r["name"], r["position"]) for r in act_hub.client.get("/v1/rules", headers=act_hub.auth("owner")).json()]
    assert names == [("a", 1), ("b", 2)]
    r = act_hub.client.post(
        "/v1/rules", json={"name": "a", "actions": [{"type": "review"}]}, headers=act_hub.auth("owner")
    )
    assert_error(r, 409, "name_taken")


def test_malformed_rules_are_refused_with_the_field_and_reason(act_hub: Hub) -> None:
    auth = act_hub.auth("owner")
    cases = [
        ({"name": "x", "actions": []}, "actions"),
        ({"name": "x", "actions": [{"type": "explode"}]}, "actions"),
        ({"name": "x", "actions": [{"type": "webhook", "endpoint": "h", "event_type": "block"}]}, "event_type"),
        ({"name": "x", "conditions": {"max_distance": -1}, "actions": [{"type": "review"}]}, "max_distance"),
        ({"name": "x", "conditions": {"classifications": ["Z9"]}, "actions": [{"type": "review"}]}, "classifications"),
        ({"name": "x", "conditions": {"colour": "red"}, "actions": [{"type": "review"}]}, "colour"),
        ({"name": "", "actions": [{"type": "review"}]}, "name"),
    ]
    for body, field in cases:
        r = act_hub.client.post("/v1/rules", json=body, headers=auth)
        assert_error(r, 422, "invalid_request")
        assert field in r.json()["error"]["message"], r.json()
    assert act_hub.client.get("/v1/rules", headers=auth).json() == []
    body = {"name": "x", "actions": [{"type": "webhook", "endpoint": "nowhere", "event_type": "match.block"}]}
    assert_error(act_hub.client.post("/v1/rules", json=body, headers=auth), 404, "not_found")
    body = {"name": "x", "conditions": {"list_ids": [987654]}, "actions": [{"type": "review"}]}
    assert_error(act_hub.client.post("/v1/rules", json=body, headers=auth), 404, "not_found")
    r = act_hub.client.post(
        "/v1/rules", json={"name": "x", "actions": [{"type": "review"}]}, headers=act_hub.auth("owner_read")
    )
    assert_error(r, 403, "permission_denied")


def test_the_dry_run_says_which_rule_fired_and_why(act_hub: Hub) -> None:
    lst = new_list(act_hub, name="known")
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="close-a1",
        conditions={"classifications": ["A1"], "max_distance": 10},
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}],
        stop=True,
    )
    add_rule(
        act_hub, name="videos", conditions={"content_types": ["video"]}, actions=[{"type": "review", "queue": "v"}]
    )
    match = {"list_id": lst["id"], "classification": "A1", "hash_type": "pdq", "distance": 4, "content_type": "image"}
    fired = _test(act_hub, match=match)
    assert (fired["rule"], fired["actions"], fired["suppressed"]) == ("close-a1", ["block"], False)
    assert fired["trace"] == [{"rule": "close-a1", "fired": True, "why": "every condition holds; stop"}]
    far = _test(act_hub, match={**match, "distance": 20})
    assert far["rule"] is None
    assert far["actions"] == ["review"]
    assert far["trace"][0] == {"rule": "close-a1", "fired": False, "why": "distance 20 is over 10"}
    assert far["trace"][-1]["why"] == "no rule fired: the safe default (review)"
    trial = _test(act_hub, match=match, rules=[{"name": "mute", "actions": [{"type": "suppress"}]}])
    assert (trial["rule"], trial["actions"], trial["suppressed"]) == ("mute", [], True)
    r = act_hub.client.post(
        "/v1/rules/test", json={"match": {**match, "list_id": 99999}}, headers=act_hub.auth("owner")
    )
    assert_error(r, 404, "not_found")
    # Nothing was acted on.
    assert [r["name"] for r in act_hub.client.get("/v1/rules", headers=act_hub.auth("owner")).json()] == [
        "close-a1",
        "videos",
    ]


def test_the_suppression_list(act_hub: Hub) -> None:
    auth = act_hub.auth("owner")
    body = {"hash_type": "md5", "value": md5(1).upper(), "reason": "our logo"}
    r = act_hub.client.post("/v1/suppressions", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["value"] == md5(1)  # canonical
    assert act_hub.client.post("/v1/suppressions", json=body, headers=auth).status_code == 200
    assert [s["value"] for s in act_hub.client.get("/v1/suppressions", headers=auth).json()] == [md5(1)]
    assert act_hub.client.get("/v1/suppressions", headers=act_hub.auth("stranger")).json() == []
    assert_error(
        act_hub.client.post("/v1/suppressions", json={"hash_type": "md5", "value": "xyz"}, headers=auth),
        400,
        "invalid_hash",
    )
