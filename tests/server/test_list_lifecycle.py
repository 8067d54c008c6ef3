"""A sharee is told why it cannot change an entry (the share, not its key), and an owner deletes a list: every
entry tombstoned through the feed, the list marked deleted, its name free again."""

from __future__ import annotations

from tests.support.api import add, assert_error, lookup, md5, new_list
from tests.support.hub import Hub


def test_a_sharee_is_told_the_real_reason(hub: Hub) -> None:
    read_share = new_list(hub, name="read", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    entry = add(hub, read_share["id"], ("md5", md5(1)))
    # An admin key of the sharee: no scope would help, the share is read-only.
    r = hub.client.delete(f"/v1/entries/{entry['id']}", headers=hub.auth("sharee"))
    assert_error(r, 403, "read_only_share")
    body = r.json()["error"]
    assert "belongs to 'owner'" in body["message"]
    assert "scope" not in body["hint"]
    assert "dispute" in body["hint"]
    r = hub.client.post(
        f"/v1/hash-lists/{read_share['id']}/entries",
        json={"hashes": [{"hash_type": "md5", "value": md5(2)}]},
        headers=hub.auth("sharee"),
    )
    assert_error(r, 403, "read_only_share")
    # A contribute share: the sharee changes its own entries, not the owner's.
    contribute = new_list(hub, name="both", visibility="shared", shares=[{"org": "sharee", "access": "contribute"}])
    owners = add(hub, contribute["id"], ("md5", md5(3)))
    mine = add(hub, contribute["id"], ("md5", md5(4)), who="sharee")
    r = hub.client.delete(f"/v1/entries/{owners['id']}", headers=hub.auth("sharee"))
    assert_error(r, 403, "not_entry_owner")
    assert "contributed by another org" in r.json()["error"]["message"]
    assert hub.client.delete(f"/v1/entries/{mine['id']}", headers=hub.auth("sharee")).status_code in (200, 204)
    # A missing scope is still that error, with its own code.
    r = hub.client.delete(f"/v1/entries/{mine['id']}", headers=hub.auth("sharee_read"))
    assert_error(r, 403, "permission_denied")


def test_the_owner_deletes_a_list(hub: Hub) -> None:
    shared = new_list(hub, name="main", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    ids = [add(hub, shared["id"], ("md5", md5(n)))["id"] for n in range(5)]
    r = hub.client.delete(f"/v1/entries/{ids[0]}", headers=hub.auth("owner"))
    assert r.status_code in (200, 204)
    assert lookup(hub, ("md5", md5(3)), who="sharee")
    # Only the owner deletes it.
    assert_error(hub.client.delete(f"/v1/hash-lists/{shared['id']}", headers=hub.auth("sharee")), 403, "not_list_owner")
    assert_error(hub.client.delete(f"/v1/hash-lists/{shared['id']}", headers=hub.auth("stranger")), 404, "not_found")
    r = hub.client.delete(f"/v1/hash-lists/{shared['id']}", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    gone = r.json()
    assert gone["deleted_at"] is not None
    assert gone["name"] == f"main (deleted list {shared['id']})"
    # Its hashes stop matching at once, for everyone.
    assert lookup(hub, ("md5", md5(3)), who="sharee") == []
    assert lookup(hub, ("md5", md5(3))) == []
    # The feed carries a tombstone for every entry that was still there, readable by the sharee (so its mirror
    # follows); the one removed before is not tombstoned twice.
    feed = hub.client.get(f"/v1/hash-lists/{shared['id']}/feed", headers=hub.auth("sharee")).json()
    kinds = [(c["kind"], c["entry_id"]) for c in feed["changes"]]
    assert kinds[-4:] == [("tombstone", i) for i in ids[1:]]
    assert [k for k in kinds if k == ("tombstone", ids[0])] == [("tombstone", ids[0])]
    listed = {lst["id"]: lst for lst in hub.client.get("/v1/hash-lists", headers=hub.auth("sharee")).json()}
    assert listed[shared["id"]]["deleted_at"] is not None
    # Nobody changes it any more; deleting again is a 404; the name is free.
    r = hub.client.post(
        f"/v1/hash-lists/{shared['id']}/entries",
        json={"hashes": [{"hash_type": "md5", "value": md5(9)}]},
        headers=hub.auth("owner"),
    )
    assert_error(r, 404, "not_found")
    assert "was deleted" in r.json()["error"]["message"]
    assert_error(
        hub.client.patch(f"/v1/hash-lists/{shared['id']}", json={"name": "x"}, headers=hub.auth("owner")),
        404,
        "not_found",
    )
    assert_error(hub.client.delete(f"/v1/hash-lists/{shared['id']}", headers=hub.auth("owner")), 404, "not_found")
    assert new_list(hub, name="main")["name"] == "main"
    events = hub.client.get("/v1/audit", headers=hub.auth("owner")).json()
    deleted = [e for e in events if e["action"] == "list.delete"]
    assert deleted[0]["count"] == 4
