"""Retroactive matching: a list that gains hashes (a contribution, an import, a sync) matches recent checks against
the new hashes only, through the rules, marked retroactive; tombstoned entries, unreadable lists, checks past
retention and matches already made produce nothing. Also the retention purge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sharedhash.server.act import service
from sharedhash.store.models import CheckHash, ContentCheck, ContentMatch, OutboxEvent, ReviewItem
from tests.support.act import add_endpoint, add_rule, check
from tests.support.api import add, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of


def _retro(hub: Hub) -> int:
    return service.run_retroactive(state_of(hub))


def _get(hub: Hub, check_id: int, who: str = "owner") -> dict[str, Any]:
    r = hub.client.get(f"/v1/checks/{check_id}", headers=hub.auth(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_new_entries_match_recent_checks_through_the_rules(act_hub: Hub) -> None:
    lst = new_list(act_hub, pdq_threshold=16)
    add_endpoint(act_hub, "hooks")
    add_rule(act_hub, name="block", actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}])
    near = check(act_hub, "old-1", ("pdq", flip(pdq(1), 6)), content_type="image")
    exact = check(act_hub, "old-2", ("md5", md5(1)))
    far = check(act_hub, "old-3", ("pdq", flip(pdq(1), 40)))
    assert not near["matched"]
    assert not exact["matched"]
    _retro(act_hub)  # the list's creation and the checks themselves bring nothing new
    entry = add(act_hub, lst["id"], ("pdq", pdq(1)), ("md5", md5(1)), classification="A2")
    assert _retro(act_hub) == 2
    got = _get(act_hub, near["check_id"])
    assert (got["matched"], got["actions"]) == (True, ["block"])
    (m,) = got["matches"]
    assert (m["entry_id"], m["distance"], m["retroactive"], m["rule"]) == (entry["id"], 6, True, "block")
    assert _get(act_hub, exact["check_id"])["matches"][0]["hash_type"] == "md5"
    assert _get(act_hub, far["check_id"])["matched"] is False  # beyond the list's threshold
    events = [e.payload for e in _rows(act_hub, OutboxEvent)]
    assert len(events) == 2
    assert all(e["data"]["retroactive"] for e in events)
    checked_at = {e["data"]["check_id"]: e["data"]["checked_at"] for e in events}
    assert checked_at[near["check_id"]].replace("Z", "+00:00") == near["checked_at"].replace("Z", "+00:00")
    # A second round, or the entry gaining a label, matches nothing again.
    r = act_hub.client.patch(f"/v1/entries/{entry['id']}", json={"labels": ["zorblax"]}, headers=act_hub.auth("owner"))
    assert r.status_code == 200
    assert _retro(act_hub) == 0
    assert len(_rows(act_hub, ContentMatch)) == 2


def _rows(hub: Hub, model: Any) -> list[Any]:
    with state_of(hub).db.reading() as s:
        rows = list(s.scalars(select(model).order_by(model.id)))
        s.expunge_all()
        return rows


def test_without_rules_a_retroactive_match_goes_to_review(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    old = check(act_hub, "old", ("md5", md5(4)))
    add(act_hub, lst["id"], ("md5", md5(4)))
    assert _retro(act_hub) == 1
    (item,) = _rows(act_hub, ReviewItem)
    assert item.check_id == old["check_id"]
    assert _get(act_hub, old["check_id"])["actions"] == ["review"]


def test_tombstoned_entries_and_unreadable_lists_produce_nothing(act_hub: Hub) -> None:
    mine = check(act_hub, "c", ("md5", md5(2)), ("md5", md5(3)))
    theirs = new_list(act_hub, who="stranger")  # private to the stranger
    add(act_hub, theirs["id"], ("md5", md5(2)), who="stranger")
    lst = new_list(act_hub)
    entry = add(act_hub, lst["id"], ("md5", md5(3)))
    assert act_hub.client.delete(f"/v1/entries/{entry['id']}", headers=act_hub.auth("owner")).status_code == 204
    assert _retro(act_hub) == 0
    assert _get(act_hub, mine["check_id"])["matched"] is False


def test_bulk_imports_match_retroactively(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    old = check(act_hub, "bulk", ("md5", md5(500)))
    lines = b"".join(b'{"hashes":[{"hash_type":"md5","value":"%s"}]}\n' % md5(i).encode() for i in range(1000))
    r = act_hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=lines, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert _retro(act_hub) == 1
    assert _get(act_hub, old["check_id"])["matches"][0]["retroactive"] is True


def test_checks_past_retention_are_purged_and_match_nothing(act_hub: Hub) -> None:
    state = state_of(act_hub)
    old = check(act_hub, "expired", ("pdq", pdq(8)), ("md5", md5(8)))
    kept = check(act_hub, "reviewed", ("md5", md5(9)))
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(9)))
    assert _retro(act_hub) == 1  # "reviewed" is now under review
    state.settings.check_retention_days = 0
    try:
        assert service.purge_expired(state) == 1
        add(act_hub, lst["id"], ("pdq", pdq(8)), ("md5", md5(8)))
        assert _retro(act_hub) == 0
    finally:
        state.settings.check_retention_days = 90
    assert [c.id for c in _rows(act_hub, ContentCheck)] == [kept["check_id"]]  # under review: kept, hashes gone
    assert _rows(act_hub, CheckHash) == []
    assert state.check_hashes.sizes().get("pdq", 0) == 0
    assert old["check_id"] not in [c.id for c in _rows(act_hub, ContentCheck)]
