"""Looking up a batch's idempotency keys: exactly the org's checks with those keys, whatever the keys hold."""

from __future__ import annotations

from sharedhash.store import checks as store
from sharedhash.store.db import Database
from sharedhash.store.models import utcnow
from tests.support.store import make_org, pdq


def _columns(n: int, content: str = "zorblax") -> store.CheckColumns:
    key = store.idempotency_key(f"{content}-{n}", [("pdq", pdq(n))])
    hashes = f'[{{"type": "pdq", "value": "{pdq(n)}"}}]'
    return (key, f"{content}-{n}", "image", None, None, None, "[]", hashes, False, "[]")


def test_existing_checks_finds_keys_of_any_form(db: Database) -> None:
    """Keys are hex digests (sent to PostgreSQL as one text split by the server); a key with a comma is still
    looked up exactly, and another org's check with the same key is not found."""
    caller = make_org(db, "quuxvid")
    other = make_org(db, "blorptag")
    odd = ("a,b", *_columns(1)[1:])
    many = [_columns(n) for n in range(2, 600)]
    with db.writing() as s:
        ids = store.write_checks(s, caller.org_id, utcnow(), [_columns(0), odd, *many])
        store.write_checks(s, other.org_id, utcnow(), [_columns(700)])
    with db.reading() as s:
        assert store.existing_checks(s, caller.org_id, [_columns(0)[0], "a", "b"]) == {_columns(0)[0]: ids[0]}
        assert store.existing_checks(s, caller.org_id, ["a,b", "zz"]) == {"a,b": ids[1]}
        assert store.existing_checks(s, caller.org_id, [_columns(700)[0]]) == {}
        keys = [c[0] for c in many]
        assert store.existing_checks(s, caller.org_id, keys) == dict(zip(keys, ids[2:], strict=True))


def test_new_checks_leave_out_keys_the_org_has(db: Database) -> None:
    """PostgreSQL's one-statement insert of a group commit's checks: those whose key the org has (checked before)
    are left out (``None``, nothing written for them), the rest inserted with their ids in order; another org's
    check with the same key is no conflict. SQLite, and more rows than one statement takes, look the keys up first
    instead."""
    caller = make_org(db, "quuxvid")
    other = make_org(db, "blorptag")
    with db.writing() as s:
        if not store.folds_key_lookup(s, 3):
            assert db.is_sqlite
            return
        assert not store.folds_key_lookup(s, 257)
        before = store.write_new_checks(s, caller.org_id, utcnow(), [_columns(1)])
        store.write_checks(s, other.org_id, utcnow(), [_columns(2)])
    assert before[0] is not None
    with db.writing() as s:
        ids = store.write_new_checks(s, caller.org_id, utcnow(), [_columns(0), _columns(1), _columns(2)])
        assert ids[1] is None
        assert ids[0] is not None
        assert ids[2] is not None
        assert ids[0] < ids[2]
        again = store.write_new_checks(s, caller.org_id, utcnow(), [_columns(0)])
        assert again == [None]
    with db.reading() as s:
        keys = [_columns(n)[0] for n in range(3)]
        assert store.existing_checks(s, caller.org_id, keys) == {keys[0]: ids[0], keys[1]: before[0], keys[2]: ids[2]}
