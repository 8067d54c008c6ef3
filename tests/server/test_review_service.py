"""The review queue's service: claims, order, skips, decisions and their consequences, escalation and reverts,
and the 404 (recorded) for anything outside a person's org or role."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.errors import NotFoundError
from sharedhash.server.review import service
from sharedhash.server.review.errors import InvalidDecisionError, ItemClaimedError, ItemDecidedError
from sharedhash.store.db import Database
from sharedhash.store.feedback import Reason, give_feedback
from sharedhash.store.lists import create_list
from sharedhash.store.models import (
    AuditEvent,
    Feedback,
    OutboxEvent,
    ReviewItem,
    Suppression,
    Verdict,
    Visibility,
    WebhookEndpoint,
)
from sharedhash.store.review import settings_for_update
from tests.support.api import md5
from tests.support.review import person, queued, review_state
from tests.support.store import make_org


def _audit(db: Database, action: str) -> list[AuditEvent]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_highest_priority_first_then_oldest_and_one_claim_each(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann, bob = person(state, org, "ann@quuxvid.test"), person(state, org, "bob@quuxvid.test")
    young = queued(db, org, n=1, priority=0, age_seconds=10)
    old = queued(db, org, n=2, priority=0, age_seconds=100)
    urgent = queued(db, org, n=3, priority=5, age_seconds=1)
    assert service.take_next(state, ann) == urgent.item_id
    # Ann keeps her claim until she decides; Bob gets the next one in line.
    assert service.take_next(state, ann) == urgent.item_id
    assert service.take_next(state, bob) == old.item_id
    assert service.take_next(state, person(state, org, "cy@quuxvid.test")) == young.item_id
    with pytest.raises(ItemClaimedError):
        service.decide(state, bob, urgent.item_id, "false_positive")
    assert [e.target for e in _audit(db, "review.refused")] == [f"review_item:{urgent.item_id}"]


def test_a_claim_is_released_after_inactivity(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path, review_claim_seconds=0.05)
    org = make_org(db, "quuxvid")
    ann, bob = person(state, org, "ann@quuxvid.test"), person(state, org, "bob@quuxvid.test")
    only = queued(db, org, n=1)
    assert service.take_next(state, ann) == only.item_id
    time.sleep(0.1)
    assert service.take_next(state, bob) == only.item_id


def test_skip_gives_the_item_back_but_not_to_the_same_person(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann, bob = person(state, org, "ann@quuxvid.test"), person(state, org, "bob@quuxvid.test")
    first = queued(db, org, n=1, age_seconds=50)
    second = queued(db, org, n=2)
    assert service.take_next(state, ann) == first.item_id
    with pytest.raises(InvalidDecisionError):
        service.skip(state, ann, first.item_id, "bored")
    service.skip(state, ann, first.item_id, "needs_context")
    assert service.take_next(state, ann) == second.item_id
    assert service.take_next(state, bob) == first.item_id
    assert [e.detail["reason"] for e in _audit(db, "review.skip")] == ["needs_context"]


def test_confirm_gives_feedback_sends_the_event_and_is_audited(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann = person(state, org, "ann@quuxvid.test")
    content = queued(db, org, n=1)
    with db.writing() as s:
        s.add(WebhookEndpoint(org_id=org.org_id, name="decisions", url="https://example.test/hook", secret="x"))
        settings_for_update(s, org.org_id).decision_endpoint = "decisions"
    with pytest.raises(InvalidDecisionError):
        service.decide(state, ann, content.item_id, "confirmed")  # no classification
    service.decide(state, ann, content.item_id, "confirmed", "A1")
    with db.reading() as s:
        item = s.get(ReviewItem, content.item_id)
        feedback = s.scalars(select(Feedback)).all()
        events = s.scalars(select(OutboxEvent)).all()
    assert item is not None
    assert (item.state, item.decision, item.classification, item.decided_by) == (
        "decided",
        "confirmed",
        "A1",
        ann.person_id,
    )
    assert [(f.entry_id, f.verdict, f.reason) for f in feedback] == [(content.entry_id, "confirm", "verified")]
    assert [(e.event_type, e.payload["classification"], e.ordering_key) for e in events] == [
        ("review.confirmed", "A1", "upload-1")
    ]
    (event,) = _audit(db, "review.confirmed")
    assert event.detail["person_id"] == ann.person_id
    assert event.detail["feedback_entries"] == 1
    with pytest.raises(ItemDecidedError):
        service.decide(state, ann, content.item_id, "false_positive")


def test_false_positive_disputes_without_an_endpoint(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann = person(state, org, "ann@quuxvid.test")
    content = queued(db, org, n=1)
    service.decide(state, ann, content.item_id, "false_positive", note="a drawing of zorblax")
    with db.reading() as s:
        assert [(f.verdict, f.reason) for f in s.scalars(select(Feedback))] == [("dispute", "false_positive")]
        assert s.scalars(select(OutboxEvent)).all() == []
        # The content's hashes are on the org's suppression list: the same content triggers no action again.
        assert [(r.org_id, r.hash_type, r.value) for r in s.scalars(select(Suppression))] == [
            (org.org_id, "md5", md5(1))
        ]


def test_escalated_items_go_to_leads_and_only_leads_revert(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann = person(state, org, "ann@quuxvid.test")
    lea = person(state, org, "lea@quuxvid.test", role="lead")
    content = queued(db, org, n=1)
    service.decide(state, ann, content.item_id, "escalated")
    # The moderator no longer sees it; the lead's queue has it.
    assert service.take_next(state, ann) is None
    with pytest.raises(NotFoundError):
        service.view_item(state, ann, content.item_id)
    assert service.take_next(state, lea) == content.item_id
    assert service.view_item(state, lea, content.item_id).queue == "lead"
    service.decide(state, lea, content.item_id, "confirmed", "B2")
    with pytest.raises(NotFoundError):
        service.revert(state, ann, content.item_id)
    refused = _audit(db, "review.refused")
    assert [(e.detail["attempted"], e.detail["person_id"]) for e in refused] == [
        ("view", ann.person_id),
        ("revert", ann.person_id),
    ]
    service.revert(state, lea, content.item_id, "wrong classification")
    with db.reading() as s:
        item = s.get(ReviewItem, content.item_id)
        assert s.scalars(select(Feedback)).all() == []
    assert item is not None
    assert (item.state, item.decision) == ("open", None)
    (reverted,) = _audit(db, "review.reverted")
    assert reverted.detail["before"]["classification"] == "B2"
    assert reverted.detail["feedback_withdrawn"] == 1


def test_another_orgs_item_is_not_found_and_recorded(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    owner, stranger = make_org(db, "quuxvid"), make_org(db, "zorbnet")
    content = queued(db, owner, n=1)
    eve = person(state, stranger, "eve@zorbnet.test", role="admin")
    for call in (
        lambda: service.view_item(state, eve, content.item_id),
        lambda: service.decide(state, eve, content.item_id, "false_positive"),
        lambda: service.skip(state, eve, content.item_id, "other"),
        lambda: service.revert(state, eve, content.item_id),
        lambda: service.media(state, eve, content.item_id, "full"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert service.take_next(state, eve) is None
    assert len(_audit(db, "review.refused")) == 5
    with db.reading() as s:
        item = s.get(ReviewItem, content.item_id)
        assert item is not None
        assert (item.state, item.claimed_by) == ("open", None)
        assert s.scalars(select(Feedback)).all() == []


def test_item_view_explains_the_match_and_the_uploaders_other_matches(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org, other = make_org(db, "quuxvid"), make_org(db, "zorbnet")
    ann = person(state, org, "ann@quuxvid.test")
    with db.writing() as s:
        shared = create_list(s, org, "known-1", visibility=Visibility.MEMBERS).id
    content = queued(db, org, n=1, content_id="<script>alert(1)</script>", lst=shared)
    earlier = queued(db, org, n=2)
    queued(db, org, n=3, uploader="someone-else")
    with db.writing() as s:
        give_feedback(s, other, content.entry_id, Verdict.DISPUTE, Reason.WRONG_CLASSIFICATION)
    view = service.view_item(state, ann, content.item_id)
    assert view.mine
    (match,) = view.matches
    assert (match.list_name, match.owner_org, match.classification, match.hash_type, match.rule) == (
        "known-1",
        "quuxvid",
        "A2",
        "md5",
        "review-known",
    )
    assert (match.confirmed_by, match.disputed_by) == ([], ["zorbnet"])
    assert [u.check_id for u in view.uploader_matches] == [earlier.check_id]
    assert view.check.content_id == "<script>alert(1)</script>"
    assert not view.viewed
