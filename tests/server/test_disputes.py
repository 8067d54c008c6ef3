"""Disputes (issue 17): the list owner reads each verdict (org, reason code, note; never the key), has an inbox of
entries with open disputes, resolves them (keep with a reply, remove with a reason on the tombstone), and a
per-list policy quarantines an entry disputed by N distinct orgs until the owner keeps it."""

from __future__ import annotations

from typing import Any

from tests.support.api import add, assert_error, lookup, md5, new_list
from tests.support.hub import Hub


def feedback(hub: Hub, entry_id: int, who: str, verdict: str, reason: str, note: str = "") -> None:
    body = {"verdict": verdict, "reason": reason, "note": note}
    r = hub.client.put(f"/v1/entries/{entry_id}/feedback", json=body, headers=hub.auth(who))
    assert r.status_code == 200, r.text


def inbox(hub: Hub, **params: Any) -> list[dict[str, Any]]:
    r = hub.client.get("/v1/disputes", params=params, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def feed_tombstones(hub: Hub, list_id: int) -> list[dict[str, Any]]:
    changes = hub.client.get(f"/v1/hash-lists/{list_id}/feed", headers=hub.auth("owner")).json()["changes"]
    return [c["entry"] for c in changes if c["kind"] == "tombstone"]


def test_owner_reads_verdicts_resolves_and_keeps_an_inbox(hub: Hub) -> None:
    shares = [{"org": "sharee", "access": "read"}, {"org": "stranger", "access": "read"}]
    lst = new_list(hub, visibility="shared", shares=shares)
    entry = add(hub, lst["id"], ("md5", md5(1)))
    feedback(hub, entry["id"], "sharee", "dispute", "not_minor", "placeholder note")
    feedback(hub, entry["id"], "stranger", "confirm", "verified")

    r = hub.client.get(f"/v1/entries/{entry['id']}/disputes", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["open_disputes"] == 1
    assert sorted((v["org"], v["verdict"], v["reason"], v["note"]) for v in shown["verdicts"]) == [
        ("sharee", "dispute", "not_minor", "placeholder note"),
        ("stranger", "confirm", "verified", ""),
    ]
    assert all(set(v) == {"org", "verdict", "reason", "note", "created_at", "updated_at"} for v in shown["verdicts"])
    assert "key" not in r.text
    # Only the owner reads them: a reader is told why (403), nobody else learns the entry exists (404).
    assert_error(
        hub.client.get(f"/v1/entries/{entry['id']}/disputes", headers=hub.auth("sharee")), 403, "not_list_owner"
    )
    assert_error(hub.client.get("/v1/entries/424242/disputes", headers=hub.auth("owner")), 404, "not_found")

    (item,) = inbox(hub)
    assert (item["entry_id"], item["open_disputes"], item["confirms"], item["quarantined"]) == (
        entry["id"],
        1,
        1,
        False,
    )
    assert inbox(hub, list_id=lst["id"]) == [item]
    assert hub.client.get("/v1/disputes", headers=hub.auth("sharee")).json() == []

    # Keep, with a reply: the inbox empties; a dispute given again afterwards opens it again.
    body = {"action": "keep", "reply": "checked again: it stays"}
    r = hub.client.post(f"/v1/entries/{entry['id']}/resolution", json=body, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert (r.json()["action"], r.json()["reply"]) == ("keep", "checked again: it stays")
    assert inbox(hub) == []
    assert lookup(hub, ("md5", md5(1)))
    feedback(hub, entry["id"], "sharee", "dispute", "false_positive", "second look")
    assert [i["entry_id"] for i in inbox(hub)] == [entry["id"]]

    # Remove, with a reason that travels on the tombstone.
    bad = hub.client.post(
        f"/v1/entries/{entry['id']}/resolution",
        json={"action": "remove", "reason": "zorblax"},
        headers=hub.auth("owner"),
    )
    assert_error(bad, 400, "invalid_input")
    assert_error(
        hub.client.post(f"/v1/entries/{entry['id']}/resolution", json={"action": "shrug"}, headers=hub.auth("owner")),
        422,
        "invalid_request",
    )
    body = {"action": "remove", "reason": "false_positive"}
    r = hub.client.post(f"/v1/entries/{entry['id']}/resolution", json=body, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert lookup(hub, ("md5", md5(1))) == []
    assert feed_tombstones(hub, lst["id"]) == [
        {"id": entry["id"], "list_id": lst["id"], "removal": {"reason": "false_positive", "by": "owner"}}
    ]
    assert inbox(hub) == []
    shown = hub.client.get(f"/v1/entries/{entry['id']}/disputes", headers=hub.auth("owner")).json()
    assert shown["removed"] is True
    assert [r["action"] for r in shown["resolutions"]] == ["remove", "keep"]


def test_policy_quarantines_after_n_distinct_orgs_until_kept(hub: Hub) -> None:
    shares = [{"org": "sharee", "access": "read"}, {"org": "stranger", "access": "read"}]
    lst = new_list(hub, visibility="shared", shares=shares)
    entry = add(hub, lst["id"], ("md5", md5(2)))
    path = f"/v1/hash-lists/{lst['id']}/dispute-policy"
    assert hub.client.get(path, headers=hub.auth("owner")).json() == {"list_id": lst["id"], "quarantine_after": None}
    assert_error(hub.client.put(path, json={"quarantine_after": 0}, headers=hub.auth("owner")), 422, "invalid_request")
    assert_error(hub.client.put(path, json={"quarantine_after": 2}, headers=hub.auth("sharee")), 403, "not_list_owner")
    r = hub.client.put(path, json={"quarantine_after": 2}, headers=hub.auth("owner"))
    assert r.json() == {"list_id": lst["id"], "quarantine_after": 2}

    feedback(hub, entry["id"], "sharee", "dispute", "not_illegal")
    feedback(hub, entry["id"], "sharee", "dispute", "false_positive")  # the same org again: still one
    assert lookup(hub, ("md5", md5(2)))
    feedback(hub, entry["id"], "stranger", "dispute", "age_undetermined")
    # Two distinct orgs: quarantined, for everyone, and said so on the tombstone.
    assert lookup(hub, ("md5", md5(2))) == []
    assert feed_tombstones(hub, lst["id"])[-1]["removal"] == {"reason": "quarantined", "by": "policy"}
    (item,) = inbox(hub)
    assert (item["entry_id"], item["open_disputes"], item["quarantined"]) == (entry["id"], 2, True)

    # Kept by the owner: it comes back as a new entry with the same hash.
    r = hub.client.post(
        f"/v1/entries/{entry['id']}/resolution", json={"action": "keep", "reply": "reviewed"}, headers=hub.auth("owner")
    )
    assert r.status_code == 200, r.text
    restored = r.json()["restored_as"]
    assert restored is not None
    (match,) = lookup(hub, ("md5", md5(2)))
    assert match["entry_id"] == restored
    assert inbox(hub) == []
    # Cleared, the policy quarantines nothing more.
    assert (
        hub.client.put(path, json={"quarantine_after": None}, headers=hub.auth("owner")).json()["quarantine_after"]
        is None
    )
    feedback(hub, restored, "sharee", "dispute", "other")
    feedback(hub, restored, "stranger", "dispute", "other")
    assert lookup(hub, ("md5", md5(2)))
