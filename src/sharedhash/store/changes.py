"""What a committed write changed, for the in-memory caches that must forget it: session events on the write
sessions collect, per transaction, whether list policies, keys or feedback changed, and hand the summary to a
callback when the transaction commits (before the write's response is sent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from sharedhash.store.db import Database
from sharedhash.store.models import ApiKey, Feedback, HashList, ListShare, Org, OrgSuspension


@dataclass
class CommittedChanges:
    """What one transaction changed that the lookup caches hold: list policies, keys, feedback (of some entries,
    or of any entry when changed by statement), and the net number of feedback rows it added."""

    policy: bool = False
    keys: bool = False
    feedback: set[int] = field(default_factory=set)
    feedback_rows: int = 0
    all_feedback: bool = False


_LIST_POLICY_FIELDS = (
    "owner_org_id",
    "visibility",
    "name",
    "pdq_threshold",
    "video_listed_percent",
    "video_query_percent",
    "deleted_at",
)
_CHANGES = "sharedhash.cache_changes"


def _changes(session: Session) -> CommittedChanges:
    changes = session.info.get(_CHANGES)
    if changes is None:
        changes = session.info[_CHANGES] = CommittedChanges()
    return changes


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    changes = _changes(session)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, ListShare):
            changes.policy = True
        elif isinstance(obj, OrgSuspension):
            # A suspended org's keys stop working and its lists stop being readable by others, at once.
            changes.policy = changes.keys = True
        elif isinstance(obj, HashList):
            state = inspect(obj)
            if (
                obj in session.new
                or obj in session.deleted
                or any(state.attrs[name].history.has_changes() for name in _LIST_POLICY_FIELDS)
            ):
                changes.policy = True
        elif isinstance(obj, Feedback):
            changes.feedback.add(obj.entry_id)
            changes.feedback_rows += (obj in session.new) - (obj in session.deleted)
        elif isinstance(obj, ApiKey | Org) and obj not in session.new:
            changes.keys = True


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table == ListShare.__tablename__:
        _changes(state.session).policy = True
    elif table == OrgSuspension.__tablename__:
        _changes(state.session).policy = _changes(state.session).keys = True
    elif table == Feedback.__tablename__:
        _changes(state.session).all_feedback = True
    elif table in (ApiKey.__tablename__, Org.__tablename__) and not state.execution_options.get("sharedhash_touch"):
        _changes(state.session).keys = True
    # UPDATEs of hash_lists by statement only move the feed's seq and a mirror's cursor (store/feed.py,
    # store/mirror.py); settings change through the ORM and are seen in _after_flush. The follower's poll
    # would catch anything else within a round.


def watch_commits(db: Database, on_commit: Callable[[CommittedChanges], None]) -> None:
    """Call ``on_commit`` with what each committed transaction of ``db``'s write sessions changed (only for
    transactions that changed something the caches hold)."""

    def after_commit(session: Session) -> None:
        changes = session.info.pop(_CHANGES, None)
        if changes is not None:
            on_commit(changes)

    target = db.write_sessions
    event.listen(target, "after_flush", _after_flush)
    event.listen(target, "do_orm_execute", _on_execute)
    event.listen(target, "after_commit", after_commit)
