"""The outbox and review queue tables: events and items are written in their cause's transaction, per org."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sharedhash.store.db import Database
from sharedhash.store.models import ContentCheck, OutboxEvent, OutboxState, ReviewItem, ReviewState, WebhookEndpoint
from sharedhash.store.outbox import add_event, endpoint_by_name
from sharedhash.store.review import add_item, queue_named
from tests.support.store import make_org


def test_an_event_rolled_back_with_its_cause_leaves_nothing(db: Database) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        s.add(WebhookEndpoint(org_id=caller.org_id, name="block", url="https://example.test/hook", secret="x"))

    def cause_fails() -> None:
        with db.writing() as s:
            endpoint = endpoint_by_name(s, caller.org_id, "block")
            assert endpoint is not None
            add_event(
                s,
                org_id=caller.org_id,
                endpoint_id=endpoint.id,
                event_type="match.block",
                ordering_key="c1",
                payload={},
            )
            raise RuntimeError("the cause failed")

    with pytest.raises(RuntimeError):
        cause_fails()
    with db.writing() as s:
        endpoint = endpoint_by_name(s, caller.org_id, "block")
        assert endpoint is not None
        first = add_event(
            s,
            org_id=caller.org_id,
            endpoint_id=endpoint.id,
            event_type="match.block",
            ordering_key="c1",
            payload={"n": 1},
        )
        second = add_event(
            s,
            org_id=caller.org_id,
            endpoint_id=endpoint.id,
            event_type="match.block",
            ordering_key="c1",
            payload={"n": 2},
        )
        assert first.webhook_id != second.webhook_id
    with db.reading() as s:
        events = s.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert [e.payload for e in events] == [{"n": 1}, {"n": 2}]
    assert {e.state for e in events} == {OutboxState.PENDING.value}


def test_endpoints_and_queues_belong_to_one_org(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    other = make_org(db, "zorbnet")
    with db.writing() as s:
        s.add(WebhookEndpoint(org_id=owner.org_id, name="block", url="https://example.test/hook", secret="x"))
    with db.writing() as s:
        assert endpoint_by_name(s, other.org_id, "block") is None
        check = ContentCheck(org_id=owner.org_id, idempotency_key="k1", content_id="upload-1", content_type="image")
        s.add(check)
        s.flush()
        item = add_item(s, org_id=owner.org_id, check_id=check.id, match_id=None, priority=5)
        again = add_item(s, org_id=owner.org_id, check_id=check.id, match_id=None)
        assert item.queue_id == again.queue_id
        assert queue_named(s, other.org_id, "default").id != item.queue_id
    with db.reading() as s:
        items = s.scalars(select(ReviewItem)).all()
    assert {i.state for i in items} == {ReviewState.OPEN.value}
