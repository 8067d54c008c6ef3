"""Issue 18 F9: a list leaving an org's view stops deterring for it, and leaves its ``explain`` answers, before the
change's request returns: the rule caches forget on the change's commit (no refresh round to wait for)."""

from __future__ import annotations

from typing import Any

import pytest

from sharedhash.deterrence import parse_rule
from tests.support.api import new_list
from tests.support.deterrence import ZORBLAX, add_rules
from tests.support.hub import Hub


def _check(hub: Hub, who: str, **extra: Any) -> dict[str, Any]:
    r = hub.client.post("/v1/deterrence/check", json={"query": "zorblax", **extra}, headers=hub.auth(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("change", ["private", "unshare", "delete"])
def test_a_list_leaving_an_orgs_view_stops_deterring_at_once(hub: Hub, change: str) -> None:
    lst = new_list(hub, name="terms", visibility="members")
    add_rules(hub, lst["id"], ZORBLAX)  # waits for the watcher once: the rule is compiled for every org
    for _ in range(3):
        assert _check(hub, "sharee")["deter"] is True
        assert _check(hub, "stranger")["deter"] is True
    rule_id = parse_rule(ZORBLAX).rule_id
    assert _check(hub, "stranger", explain=True)["explain"][0]["rule_id"] == rule_id
    path = f"/v1/hash-lists/{lst['id']}"
    if change == "private":
        r = hub.client.patch(path, json={"visibility": "private"}, headers=hub.auth("owner"))
    elif change == "unshare":
        r = hub.client.patch(path, json={"visibility": "shared", "shares": []}, headers=hub.auth("owner"))
    else:
        r = hub.client.delete(path, headers=hub.auth("owner"))
    assert r.status_code in (200, 204), r.text
    # The very next checks, with no wait and no refresh round: no other org is deterred or shown the rule.
    for who in ("sharee", "stranger"):
        answer = _check(hub, who, explain=True)
        assert answer["deter"] is False, (change, who)
        assert answer["explain"] == []
        assert rule_id not in str(answer)  # not even as a near miss
    owner = _check(hub, "owner")
    assert owner["deter"] is (change != "delete")
