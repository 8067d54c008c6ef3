"""Automatic contribution: a confirmed review's hashes go to the org's chosen list, with the classification and
the provenance, through the entries service; once per content (a second confirmation finds the same entry);
audited; never for a false positive; only to a list of the org's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.errors import NotFoundError
from sharedhash.hub_errors import ReadOnlyListError
from sharedhash.server.review import service
from sharedhash.store.db import Database
from sharedhash.store.lists import create_list
from sharedhash.store.models import AuditEvent, Entry, EntryHash, HashList, Visibility
from sharedhash.store.review import settings_of
from tests.support.review import person, queued, review_state
from tests.support.store import make_org, md5


def _entries(db: Database, list_id: int) -> list[Entry]:
    with db.reading() as s:
        return list(s.scalars(select(Entry).where(Entry.list_id == list_id, Entry.deleted_at.is_(None))))


def _actions(db: Database, action: str) -> list[AuditEvent]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_confirmation_contributes_the_hashes_once_with_provenance(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    admin = person(state, org, "adm", role="admin")
    mod = person(state, org, "mod")
    with db.writing() as s:
        own = create_list(s, org, "confirmed-here", visibility=Visibility.PRIVATE).id
    service.update_settings(state, admin, contribute_list_id=own)
    with db.reading() as s:
        assert settings_of(s, org.org_id).contribute_list_id == own
    content = queued(db, org, n=7)
    service.take_next(state, mod)
    service.decide(state, mod, content.item_id, "confirmed", "B1")
    (added,) = _entries(db, own)
    assert added.classification == "B1"
    assert added.external_id == f"review-item:{content.item_id}"
    assert "review-confirmed" in added.labels
    assert f"review-item:{content.item_id}" in added.labels
    assert any(label.startswith("reviewed-at:20") for label in added.labels)
    with db.reading() as s:
        values = {(h.hash_type, h.value) for h in s.scalars(select(EntryHash).where(EntryHash.entry_id == added.id))}
    assert values == {("md5", md5(7))}
    (event,) = _actions(db, "review.contributed")
    assert event.detail["entry_id"] == added.id
    assert event.detail["created"] is True
    assert event.detail["hashes"] == [f"md5:{md5(7)[:8]}"]  # never a full hash value
    assert _actions(db, "entry.add")  # through the entries service, with its own audit record
    # Reverted and confirmed again: the same entry, nothing added twice.
    service.revert(state, admin, content.item_id, "second look")
    service.take_next(state, admin)
    service.decide(state, admin, content.item_id, "confirmed", "B1")
    assert [e.id for e in _entries(db, own)] == [added.id]
    again = _actions(db, "review.contributed")[-1]
    assert again.detail["created"] is False
    assert again.detail["entry_id"] == added.id


def test_false_positives_and_escalations_contribute_nothing(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    admin = person(state, org, "adm", role="admin")
    with db.writing() as s:
        own = create_list(s, org, "confirmed-here", visibility=Visibility.PRIVATE).id
    service.update_settings(state, admin, contribute_list_id=own)
    first, second = queued(db, org, n=1), queued(db, org, n=2)
    service.take_next(state, admin)
    service.decide(state, admin, first.item_id, "false_positive")
    service.take_next(state, admin)
    service.decide(state, admin, second.item_id, "escalated")
    assert _entries(db, own) == []
    assert _actions(db, "review.contributed") == []


def test_only_a_list_of_the_orgs_own_may_be_chosen(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org, other = make_org(db, "quuxvid"), make_org(db, "zorbnet")
    admin = person(state, org, "adm", role="admin")
    with db.writing() as s:
        theirs = create_list(s, other, "theirs", visibility=Visibility.PRIVATE).id
        mirror = create_list(s, org, "mirrored", visibility=Visibility.PRIVATE)
        mirror.source_url = "https://hub.example.org/v1/lists/3"
        mirror_id = mirror.id
    with pytest.raises(NotFoundError):
        service.update_settings(state, admin, contribute_list_id=theirs)
    with pytest.raises(ReadOnlyListError):
        service.update_settings(state, admin, contribute_list_id=mirror_id)
    with db.reading() as s:
        assert settings_of(s, org.org_id).contribute_list_id is None
        assert s.get(HashList, theirs) is not None
    # Turning it off again.
    with db.writing() as s:
        own = create_list(s, org, "own", visibility=Visibility.PRIVATE).id
    service.update_settings(state, admin, contribute_list_id=own)
    service.update_settings(state, admin, contribute_list_id=None)
    with db.reading() as s:
        assert settings_of(s, org.org_id).contribute_list_id is None
