"""Lookup: distances, per-list thresholds, visibility, tombstones and disputes take effect at once."""

from __future__ import annotations

from tests.support.api import add, assert_error, flip, lookup, md5, new_list, pdq
from tests.support.hub import Hub


def test_exact_and_pdq_matches_with_distance(hub: Hub) -> None:
    lst = new_list(hub)
    e = add(hub, lst["id"], ("pdq", pdq(1)), ("md5", md5(1)), classification="A2", labels=["quuxvid"])
    matches = lookup(hub, ("md5", md5(1)), ("pdq", flip(pdq(1), 5)), ("md5", md5(2)))
    assert [(m["query"], m["distance"], m["entry_id"]) for m in matches] == [(0, 0, e["id"]), (1, 5, e["id"])]
    m = matches[1]
    assert (m["list_id"], m["list_name"], m["classification"], m["labels"]) == (lst["id"], "main", "A2", ["quuxvid"])
    assert m["contributor"] == "owner"
    assert m["feedback"] == {"confirm": 0, "dispute": 0}


def test_threshold_per_list_and_request_cap(hub: Hub) -> None:
    strict = new_list(hub, name="strict", pdq_threshold=10)
    loose = new_list(hub, name="loose", pdq_threshold=40)
    add(hub, strict["id"], ("pdq", pdq(1)))
    add(hub, loose["id"], ("pdq", pdq(1)))
    near, far = flip(pdq(1), 8), flip(pdq(1), 35)
    assert sorted(m["list_name"] for m in lookup(hub, ("pdq", near))) == ["loose", "strict"]
    assert [m["list_name"] for m in lookup(hub, ("pdq", far))] == ["loose"]
    assert lookup(hub, ("pdq", far), max_distance=30) == []
    capped = lookup(hub, ("pdq", near), max_distance=60)
    assert sorted(m["list_name"] for m in capped) == ["loose", "strict"]
    assert lookup(hub, ("pdq", flip(pdq(1), 45)), max_distance=63) == []


def test_lookup_only_sees_readable_lists(hub: Hub) -> None:
    private = new_list(hub, name="private")
    shared = new_list(hub, name="shared", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    add(hub, private["id"], ("md5", md5(1)))
    add(hub, shared["id"], ("md5", md5(1)))
    assert len(lookup(hub, ("md5", md5(1)))) == 2
    assert [m["list_name"] for m in lookup(hub, ("md5", md5(1)), who="sharee")] == ["shared"]
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    hub.client.patch(f"/v1/hash-lists/{private['id']}", json={"visibility": "members"}, headers=hub.auth("owner"))
    assert [m["list_name"] for m in lookup(hub, ("md5", md5(1)), who="stranger")] == ["private"]


def test_removals_stop_matching_at_once(hub: Hub) -> None:
    lst = new_list(hub)
    e = add(hub, lst["id"], ("pdq", pdq(1)), ("md5", md5(1)))
    r = hub.client.delete(f"/v1/entries/{e['id']}/hashes/md5/{md5(1)}", headers=hub.auth("owner"))
    assert r.status_code == 200
    assert [h["hash_type"] for h in r.json()["hashes"]] == ["pdq"]
    assert lookup(hub, ("md5", md5(1))) == []
    assert len(lookup(hub, ("pdq", pdq(1)))) == 1
    assert hub.client.delete(f"/v1/entries/{e['id']}", headers=hub.auth("owner")).status_code == 204
    assert lookup(hub, ("pdq", pdq(1))) == []
    # Re-adding the same hash matches again, as a new entry.
    again = add(hub, lst["id"], ("pdq", pdq(1)))
    assert [m["entry_id"] for m in lookup(hub, ("pdq", pdq(1)))] == [again["id"]]


def test_feedback_counts_and_own_dispute_suppresses(hub: Hub) -> None:
    lst = new_list(hub, visibility="members")
    e = add(hub, lst["id"], ("md5", md5(1)))
    url = f"/v1/entries/{e['id']}/feedback"
    r = hub.client.put(url, json={"verdict": "confirm", "reason": "verified"}, headers=hub.auth("sharee"))
    assert r.status_code == 200
    r = hub.client.put(
        url, json={"verdict": "dispute", "reason": "false_positive", "note": "zorblax"}, headers=hub.auth("stranger")
    )
    assert r.status_code == 200
    assert lookup(hub, ("md5", md5(1)))[0]["feedback"] == {"confirm": 1, "dispute": 1}
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    assert len(lookup(hub, ("md5", md5(1)), who="sharee")) == 1
    assert hub.client.get(f"/v1/entries/{e['id']}", headers=hub.auth("owner")).json()["feedback"] == {
        "confirm": 1,
        "dispute": 1,
    }
    assert hub.client.delete(url, headers=hub.auth("stranger")).status_code == 204
    assert len(lookup(hub, ("md5", md5(1)), who="stranger")) == 1
    r = hub.client.put(url, json={"verdict": "maybe", "reason": "verified"}, headers=hub.auth("sharee"))
    assert_error(r, 422, "invalid_request")


def test_bad_lookups_are_refused_whole(hub: Hub) -> None:
    def post(body: object) -> object:
        return hub.client.post("/v1/lookup", json=body, headers=hub.auth("owner"))

    assert_error(
        post({"hashes": [{"hash_type": "md5", "value": md5(1)}, {"hash_type": "md5", "value": "xyz"}]}),
        400,
        "invalid_hash",
    )
    r = post({"hashes": [{"hash_type": "quuxhash", "value": "00"}]})
    assert_error(r, 400, "unknown_hash_type")
    too_many = [{"hash_type": "md5", "value": md5(i)} for i in range(hub.settings.max_lookup_hashes + 1)]
    assert_error(post({"hashes": too_many}), 413, "limit_exceeded")
    assert_error(post({"hashes": []}), 422, "invalid_request")
    assert_error(post({"hashes": [{"hash_type": "md5", "value": md5(1)}], "max_distance": 64}), 422, "invalid_request")


def test_lookups_are_audited_without_hash_values(hub: Hub) -> None:
    lst = new_list(hub)
    add(hub, lst["id"], ("pdq", pdq(7)))
    lookup(hub, ("pdq", pdq(7)))
    events = hub.client.get("/v1/audit", headers=hub.auth("owner")).json()
    actions = [e["action"] for e in events]
    assert actions[:3] == ["lookup", "entry.add", "list.create"]
    text = str(events)
    assert pdq(7) not in text
    assert pdq(7)[:8] in text
    assert hub.client.get("/v1/audit", headers=hub.auth("sharee")).json() == []


def test_lookups_are_summed_per_key_and_hash_types_in_the_audit_log(hub: Hub) -> None:
    from sharedhash.server.memory.tallies import AuditBuffer

    lst = new_list(hub)
    add(hub, lst["id"], ("md5", md5(1)))
    lookup(hub, ("md5", md5(1)), ("md5", md5(2)))
    lookup(hub, ("md5", md5(3)))
    lookup(hub, ("md5", md5(1)), ("pdq", pdq(1)))
    events = [e for e in hub.client.get("/v1/audit", headers=hub.auth("owner")).json() if e["action"] == "lookup"]
    assert len(events) <= 3  # a background flush may fall between two lookups
    summed: dict[tuple[str, ...], list[int]] = {}
    for e in events:
        totals = summed.setdefault(tuple(e["detail"]["types"]), [0, 0, 0])
        for i, n in enumerate((e["count"], e["detail"]["requests"], e["detail"]["matches"])):
            totals[i] += n
    assert summed == {("md5",): [3, 2, 1], ("md5", "pdq"): [2, 1, 1]}
    # Within one flush, one event per key and set of types.
    state = hub.client.app.state.hub  # type: ignore[attr-defined]
    caller = state.caches.keys.get(state.db, hub.keys["owner"].split("_")[1]).caller
    buffer = AuditBuffer(state.db)
    for hashes, matches in ((2, 1), (1, 0), (5, 2)):
        buffer.add_lookup(caller, ("md5",), hashes, matches)
    buffer.add_lookup(caller, ("pdq",), 1, 1)
    assert buffer.flush() == 2
    assert buffer.flush() == 0
    newest = hub.client.get("/v1/audit", headers=hub.auth("owner")).json()[:2]
    assert sorted((e["detail"]["types"], e["count"], e["detail"]["requests"]) for e in newest) == [
        (["md5"], 8, 3),
        (["pdq"], 1, 1),
    ]
