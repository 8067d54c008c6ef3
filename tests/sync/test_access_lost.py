"""Every way a node's access to a list can end reaches its mirror at the next sync: the list deleted (after its
tombstones), the list's owner suspended, the node's own org suspended, its key revoked. A live hub and node."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.errors import NotFoundError
from sharedhash.hub_errors import AccessLostError, KeyRevokedError, OrgSuspendedError
from sharedhash.store.db import open_database
from sharedhash.store.mirror import mirror_statuses
from sharedhash.store.models import AuditEvent
from sharedhash.store.orgs import find_org
from sharedhash.sync.mirror import SyncReport, sync_from
from tests.support.api import md5
from tests.support.live import Pair


def statuses(node_db_url: str, source: str) -> dict[str, tuple[str, str | None, int]]:
    db = open_database(node_db_url)
    try:
        with db.reading() as s:
            org = find_org(s, "sharee")
            assert org is not None
            return {m.name: (m.status, m.reason, m.entries) for m in mirror_statuses(s, org.id, source)}
    finally:
        db.dispose()


def by_name(report: SyncReport) -> dict[str, tuple[str, str | None, int]]:
    return {r.name: (r.status, r.reason, r.purged) for r in report.lists}


def sync(pair: Pair, client: Client) -> SyncReport:
    db = open_database(pair.node_db_url)
    try:
        return sync_from(db, client, org_name="sharee")
    finally:
        db.dispose()


def test_a_deleted_list_is_lost_after_its_tombstones_and_a_suspended_owner_s_at_once(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])  # the hub operator
    stranger = Client(pair.hub.url, pair.hub_keys["stranger"])
    sharee = Client(pair.hub.url, pair.hub_keys["sharee"])
    doomed = owner.create_list("doomed", visibility="shared", shares=[("sharee", "read")])
    theirs = stranger.create_list("theirs", visibility="shared", shares=[("sharee", "read")])
    for n in range(3):
        owner.add_entry(doomed.id, [("md5", md5(n))])
        stranger.add_entry(theirs.id, [("md5", md5(10 + n))])
    assert sync(pair, sharee).changed == 6

    owner.delete_list(doomed.id)
    stranger_org = next(o for o in owner.orgs() if o.name == "stranger")
    suspension = owner.suspend_org(stranger_org.id, "placeholder reason")
    assert suspension.reinstated_at is None
    # The suspended org's keys stop working at once.
    with pytest.raises(OrgSuspendedError):
        stranger.lists()
    report = by_name(sync(pair, sharee))
    # The deleted list's tombstones first; its owner's lists, lost at once.
    assert report["stranger/theirs"] == ("access_lost", "owner_suspended", 3)
    assert report["owner/doomed"][0] == "active"
    assert by_name(sync(pair, sharee))["owner/doomed"] == ("access_lost", "list_deleted", 0)
    assert statuses(pair.node_db_url, pair.hub.url) == {
        "owner/doomed": ("access_lost", "list_deleted", 0),
        "stranger/theirs": ("access_lost", "owner_suspended", 0),
    }
    # The feed itself tells why; an org that never read it is told nothing (404).
    with pytest.raises(AccessLostError) as lost:
        sharee.feed_json(theirs.id)
    assert lost.value.details["reason"] == "owner_suspended"
    with pytest.raises(NotFoundError) as hidden:
        owner.feed_json(theirs.id)
    assert not isinstance(hidden.value, AccessLostError)
    # Reinstated: the list is shared again and re-syncs from the start.
    owner.reinstate_org(stranger_org.id)
    report = by_name(sync(pair, sharee))
    assert report["stranger/theirs"] == ("active", None, 0)
    assert statuses(pair.node_db_url, pair.hub.url)["stranger/theirs"] == ("active", None, 3)
    for c in (owner, stranger, sharee):
        c.close()


def test_a_revoked_key_or_a_suspended_org_loses_every_mirror(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    admin = Client(pair.hub.url, pair.hub_keys["sharee"])
    listed = owner.create_list("listed", visibility="members")
    owner.add_entry(listed.id, [("md5", md5(1))])
    issued = admin.create_key(["read"], name="node")
    node_key = Client(pair.hub.url, issued.key)
    assert sync(pair, node_key).changed == 1

    admin.revoke_key(issued.id)
    with pytest.raises(KeyRevokedError):
        sync(pair, node_key)
    assert statuses(pair.node_db_url, pair.hub.url) == {"owner/listed": ("access_lost", "key_revoked", 0)}

    # A new key brings the list back; then the org itself is suspended.
    assert sync(pair, admin).changed == 1
    assert statuses(pair.node_db_url, pair.hub.url) == {"owner/listed": ("active", None, 1)}
    sharee_org = next(o for o in owner.orgs() if o.name == "sharee")
    owner.suspend_org(sharee_org.id)
    with pytest.raises(OrgSuspendedError):
        sync(pair, admin)
    assert statuses(pair.node_db_url, pair.hub.url) == {"owner/listed": ("access_lost", "org_suspended", 0)}
    db = open_database(pair.node_db_url)
    try:
        with db.reading() as s:
            purges = [
                (e.count, e.detail["reason"])
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "mirror.purge"))
            ]
    finally:
        db.dispose()
    assert purges == [(1, "key_revoked"), (1, "org_suspended")]
    for c in (owner, admin, node_key):
        c.close()
