"""The audit log's many-event insert (store/audit.py ``record_many``): the values a Core insert stored."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import insert, select, text

from sharedhash.store.audit import record_many
from sharedhash.store.db import Database
from sharedhash.store.models import AuditEvent, utcnow
from tests.support.store import make_org


def test_record_many_stores_what_a_core_insert_stores(db: Database) -> None:
    caller = make_org(db, "zorblax-audit")
    detail = {"kind": "hashes", "matched": 1, "text": 'quote " back\\slash ü', "nested": {"a": [1, None]}}
    before = utcnow()
    with db.writing() as s:
        record_many(s, [(caller, "content.check", 3, detail), (None, "lookup", 0, {})])
        record_many(s, [(caller, "content.check", 1, detail)])
        # The reference: SQLAlchemy's Core insert of the same values.
        s.connection().execute(
            insert(AuditEvent),
            [{"org_id": caller.org_id, "key_id": caller.key_id, "action": "reference", "target": "", "count": 3,
              "detail": detail, "created_at": before}],
        )  # fmt: skip
    with db.reading() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        raw = [str(r[0]) for r in s.execute(text("SELECT CAST(detail AS TEXT) FROM audit_events ORDER BY id"))]
    events = [r for r in rows if r.action in ("content.check", "lookup", "reference")]
    assert [(e.org_id, e.key_id, e.action, e.target, e.count, e.detail) for e in events] == [
        (caller.org_id, caller.key_id, "content.check", "", 3, detail),
        (None, None, "lookup", "", 0, {}),
        (caller.org_id, caller.key_id, "content.check", "", 1, detail),
        (caller.org_id, caller.key_id, "reference", "", 3, detail),
    ]
    for event in events[:3]:
        assert before <= event.created_at <= utcnow() + timedelta(seconds=1)
        assert event.created_at.tzinfo is not None
    # The JSON text stored byte for byte as the Core insert's.
    stored = raw[-4:]
    assert stored[0] == stored[2] == stored[3] == json.dumps(detail)
    assert stored[1] == "{}"
