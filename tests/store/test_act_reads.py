"""What a group commit's transaction reads besides its own rows: the review queue's id (remembered once read
committed), the rules and whether the org suppresses anything (one statement, never remembered)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sharedhash.store import review
from sharedhash.store import rules as rules_store
from sharedhash.store.db import Database
from sharedhash.store.models import ReviewQueue
from tests.support.store import make_org, pdq


class _Rollback(Exception):
    pass


@pytest.mark.parametrize("driver", [False, True], ids=["session", "driver"])
def test_a_queue_id_is_remembered_only_once_committed(db: Database, driver: bool) -> None:
    """A queue created in a transaction that rolls back is not remembered (the next transaction creates it
    again, with another id); once read committed, its id is answered without a query, per org and name. The
    same in a driver transaction (PostgreSQL's group commit), whose joined session creates the queue."""
    if driver and db.is_sqlite:
        pytest.skip("SQLite's group commit keeps its session")
    caller = make_org(db, "quuxvid")
    other = make_org(db, "blorptag")

    def rolled_back() -> None:
        with db.driver_writing() if driver else db.writing() as s:
            lost = review.queue_id(s, caller.org_id, "zorblax")
            assert review.queue_id(s, caller.org_id, "zorblax") == lost  # found again, uncommitted: not remembered
            raise _Rollback

    with pytest.raises(_Rollback):
        rolled_back()
    with db.writing() as s:
        made = review.queue_id(s, caller.org_id, "zorblax")
        assert s.scalar(select(ReviewQueue.id).where(ReviewQueue.id == made)) == made
    with db.writing() as s:
        assert review.queue_id(s, caller.org_id, "zorblax") == made  # read committed: remembered from here
        theirs = review.queue_id(s, other.org_id, "zorblax")
    assert theirs != made
    with db.writing() as s:
        assert review.queue_id(s, caller.org_id, "zorblax") == made
        assert review.queue_id(s, other.org_id, "zorblax") == theirs
        assert s.scalar(select(ReviewQueue.id).where(ReviewQueue.id == made)) == made


def test_rules_and_suppressions_read_together(db: Database) -> None:
    """The rules in order and whether the org has any suppression, whatever it has: neither, rules only,
    suppressions only, both; another org's are never seen, and a change is seen by the next read."""
    caller = make_org(db, "quuxvid")
    other = make_org(db, "blorptag")
    org = caller.org_id
    with db.writing() as s:
        assert rules_store.rule_rows_and_suppressions(s, org) == ([], False)
        rules_store.add_suppression(s, other.org_id, "pdq", pdq(1), "")
        rules_store.add_rule(s, other.org_id, name="theirs", conditions={}, actions=[], stop=False, position=None)
    with db.writing() as s:
        assert rules_store.rule_rows_and_suppressions(s, org) == ([], False)
        rules_store.add_suppression(s, org, "pdq", pdq(2), "")
    with db.writing() as s:
        assert rules_store.rule_rows_and_suppressions(s, org) == ([], True)
        for name in ("b", "a"):
            rules_store.add_rule(
                s, org, name=name, conditions={"max_distance": 3}, actions=[{"type": "review"}], stop=True, position=1
            )
    with db.writing() as s:
        rows, anything = rules_store.rule_rows_and_suppressions(s, org)
        assert anything is True
        assert rows == rules_store.rule_rows(s, org)
        assert [r[1] for r in rows] == ["a", "b"]
        assert rows[0][3:] == ({"max_distance": 3}, [{"type": "review"}], True)
        found = rules_store.suppressed(s, org, [("pdq", pdq(2)), ("pdq", pdq(1))], any_known=True)
        assert found == {("pdq", pdq(2))}
        assert rules_store.suppressed(s, org, [("pdq", pdq(2))], any_known=False) == set()
        for row in rules_store.list_suppressions(s, org):
            rules_store.remove_suppression(s, org, row.id)
    with db.writing() as s:
        rows, anything = rules_store.rule_rows_and_suppressions(s, org)
        assert anything is False
        assert [r[1] for r in rows] == ["a", "b"]
