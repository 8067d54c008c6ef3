"""Looking up a batch's idempotency keys: exactly the org's checks with those keys, whatever the keys hold."""

from __future__ import annotations

import pytest

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


class _Rollback(Exception):
    pass


def test_a_driver_transaction_commits_or_rolls_back_its_orm_rows_with_the_rest(db: Database) -> None:
    """The group commit's transaction without an ORM session (PostgreSQL): rows written on the driver and rows of
    its joined session (a webhook's outbox event) commit together, and an error leaves neither; its isolation is
    the write sessions'."""
    from sqlalchemy import func, select

    from sharedhash.store import outbox
    from sharedhash.store.models import ContentCheck, OutboxEvent, WebhookEndpoint

    if db.is_sqlite:
        pytest.skip("SQLite's group commit keeps its session (its BEGIN IMMEDIATE, its key look-up)")
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        endpoint = WebhookEndpoint(org_id=caller.org_id, name="zorblax", url="https://127.0.0.1:9/h", secret="x")
        s.add(endpoint)
        s.flush()
        endpoint_id = endpoint.id
        isolation = s.connection().get_isolation_level()

    def write(n: int, *, fail: bool) -> None:
        with db.driver_writing() as tx:
            assert tx.connection.get_isolation_level() == isolation
            (check_id,) = store.write_new_checks(tx, caller.org_id, utcnow(), [_columns(n)])
            assert check_id is not None
            found = outbox.endpoint_by_name(tx.session(), caller.org_id, "zorblax")
            assert found is not None
            outbox.add_event(
                tx.session(), org_id=caller.org_id, endpoint_id=found.id, event_type="match.block",
                ordering_key=f"zorblax-{n}", payload={"check": check_id},
            )  # fmt: skip
            if fail:
                raise _Rollback

    with pytest.raises(_Rollback):
        write(1, fail=True)
    write(2, fail=False)
    with db.reading() as s:
        checks = set(s.scalars(select(ContentCheck.content_id).where(ContentCheck.org_id == caller.org_id)))
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.org_id == caller.org_id)))
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == len(events)
    assert checks == {"zorblax-2"}
    assert [(e.endpoint_id, e.ordering_key) for e in events] == [(endpoint_id, "zorblax-2")]
