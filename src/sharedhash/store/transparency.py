"""The transparency dashboard's figures for one org, per UTC day (and per list): checks, matches, decisions by
outcome, false positives per list, time to decision, deterrence responses, help-link clicks and reports filed.
Counts only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from sharedhash.store.models import (
    ContentCheck,
    ContentMatch,
    DeterrenceCounter,
    HashList,
    Report,
    ReportStatus,
    ReviewItem,
    ReviewState,
)


def _day(session: Session, column: Any) -> Any:
    """A timestamp column's UTC day, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def checks_per_day(session: Session, org_id: int, since: datetime) -> dict[date, int]:
    """Checks of the org's content per day."""
    day = _day(session, ContentCheck.created_at)
    stmt = (
        select(day, func.count()).where(ContentCheck.org_id == org_id, ContentCheck.created_at >= since).group_by(day)
    )
    return {_as_date(d): int(n) for d, n in session.execute(stmt)}


def matches_per_day_and_list(session: Session, org_id: int, since: datetime) -> dict[tuple[date, int], int]:
    """Matches of the org's content per day and list."""
    day = _day(session, ContentMatch.created_at)
    stmt = (
        select(day, ContentMatch.list_id, func.count())
        .where(ContentMatch.org_id == org_id, ContentMatch.created_at >= since)
        .group_by(day, ContentMatch.list_id)
    )
    return {(_as_date(d), int(lst)): int(n) for d, lst, n in session.execute(stmt)}


def decisions(session: Session, org_id: int, since: datetime) -> list[tuple[date, str, int | None, float]]:
    """``(day, decision, list id, seconds from queueing to decision)`` of each item decided since ``since``."""
    stmt = (
        select(ReviewItem.decided_at, ReviewItem.decision, ContentMatch.list_id, ReviewItem.created_at)
        .outerjoin(ContentMatch, ContentMatch.id == ReviewItem.match_id)
        .where(
            ReviewItem.org_id == org_id,
            ReviewItem.state == ReviewState.DECIDED.value,
            ReviewItem.decided_at >= since,
        )
    )
    out: list[tuple[date, str, int | None, float]] = []
    for decided_at, decision, list_id, created_at in session.execute(stmt):
        if decided_at is None:
            continue
        wait = (decided_at - created_at).total_seconds()
        out.append((decided_at.astimezone(UTC).date(), str(decision), list_id, wait))
    return out


def deterrence_per_day(session: Session, org_id: int, since: date) -> dict[date, tuple[int, int]]:
    """``{day: (responses, help-link clicks)}`` of the org's deterrence (its day-total rows)."""
    stmt = select(DeterrenceCounter.day, DeterrenceCounter.responses, DeterrenceCounter.clicks).where(
        DeterrenceCounter.org_id == org_id, DeterrenceCounter.rule_id == "", DeterrenceCounter.day >= since
    )
    return {_as_date(d): (int(r), int(c)) for d, r, c in session.execute(stmt)}


def list_names(session: Session, list_ids: set[int]) -> dict[int, str]:
    """Names of these lists."""
    if not list_ids:
        return {}
    return {i: n for i, n in session.execute(select(HashList.id, HashList.name).where(HashList.id.in_(list_ids)))}


def reports_filed_per_day(session: Session, org_id: int, since: datetime) -> dict[date, int]:
    """The org's CyberTipline reports finished (filed at NCMEC) per UTC day."""
    stmt = select(Report.finished_at).where(
        Report.org_id == org_id,
        Report.status == ReportStatus.FINISHED.value,
        Report.finished_at >= since,
    )
    out: dict[date, int] = {}
    for finished_at in session.scalars(stmt):
        if finished_at is not None:
            day = finished_at.astimezone(UTC).date()
            out[day] = out.get(day, 0) + 1
    return out
