"""The typed client against an in-process hub: every call, and errors as the same sharedhash classes."""

from __future__ import annotations

import hashlib

import pytest

from sharedhash.client import Client, HubUnreachableError
from sharedhash.errors import AuthenticationError, InvalidHashError, NotFoundError, PermissionDeniedError
from sharedhash.hub_errors import InvalidCursorError, KeyRevokedError


def md5(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()


def test_lists_entries_lookup_feed(clients: dict[str, Client]) -> None:
    owner, sharee = clients["owner"], clients["sharee"]
    assert owner.me().name == "owner"
    lst = owner.create_list("main", visibility="shared", shares=[("sharee", "read")])
    assert lst.shares is not None
    assert [(s.org, s.access) for s in lst.shares] == [("sharee", "read")]
    added = owner.add_entry(lst.id, [("md5", md5(1))], classification="A1", labels=["zorblax"], external_id="c-1")
    assert added.created
    assert not owner.add_entry(lst.id, [("md5", md5(1))]).created
    result = sharee.lookup([("md5", md5(1)), ("md5", md5(2))])
    assert [(m.query, m.entry_id, m.classification) for m in result.matches] == [(0, added.id, "A1")]
    page = sharee.feed(lst.id)
    assert [(c.seq, c.kind) for c in page.changes] == [(1, "add")]
    assert not page.has_more
    assert sharee.feed(lst.id, after=page.next_cursor).changes == []
    updated = owner.update_entry(added.id, labels=["quuxvid"])
    assert updated.labels == ["quuxvid"]
    assert sharee.give_feedback(added.id, "confirm", "verified").verdict == "confirm"
    assert owner.get_entry(added.id).feedback is not None
    assert [e.id for e in owner.iter_entries(lst.id, page=1)] == [added.id]
    owner.remove_entry(added.id)
    assert sharee.lookup([("md5", md5(1))]).matches == []


def test_bulk_round_trip(clients: dict[str, Client]) -> None:
    owner = clients["owner"]
    lst = owner.create_list("main")
    lines = b"".join(b'{"hashes":[{"hash_type":"md5","value":"%s"}]}\n' % md5(i).encode() for i in range(100))
    chunks = [lines[i : i + 777] for i in range(0, len(lines), 777)]
    result = owner.import_entries(lst.id, chunks)
    assert (result.committed, result.created) == (True, 100)
    exported = list(owner.export(lst.id))
    assert len(exported) == 100
    other = owner.create_list("copy")
    assert owner.import_entries(other.id, "\n".join(exported).encode()).created == 100
    bad = owner.import_entries(other.id, b'{"hashes":[{"hash_type":"md5","value":"zz"}]}\n')
    assert not bad.committed
    assert bad.errors[0].code == "invalid_hash"
    csv_rows = list(owner.export(lst.id, format="csv"))
    assert csv_rows[0].startswith("external_id,classification,labels")


def test_errors_come_back_as_their_classes(clients: dict[str, Client]) -> None:
    owner, stranger = clients["owner"], clients["stranger"]
    lst = owner.create_list("main")
    with pytest.raises(NotFoundError):
        stranger.get_list(lst.id)
    with pytest.raises(PermissionDeniedError):
        clients["owner_read"].create_list("x")
    with pytest.raises(InvalidHashError) as info:
        owner.lookup([("md5", "nothex")])
    assert info.value.hint
    with pytest.raises(InvalidCursorError):
        owner.feed(lst.id, after="bogus")
    with pytest.raises(NotFoundError):
        list(stranger.export(lst.id))
    key = owner.create_key(["read"], name="temp")
    owner.revoke_key(key.id)
    revoked = Client(owner.base_url, key.key, transport=owner._http._transport)
    with pytest.raises(KeyRevokedError):
        revoked.lists()
    with pytest.raises(AuthenticationError):
        Client(owner.base_url, "shk_nope", transport=owner._http._transport).lists()


def test_unreachable_hub() -> None:
    with Client("http://127.0.0.1:9", "shk_x_y", timeout=2) as client, pytest.raises(HubUnreachableError):
        client.lists()
    assert not Client("http://127.0.0.1:9", timeout=2).ready()
