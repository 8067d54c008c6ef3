"""Quarantined review media: the rows describing each encrypted file (the bytes are on disk, written and read by
server/review/quarantine.py), what is due for deletion, and the org's quarantine settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sharedhash.store.models import ContentCheck, QuarantineFile, ReviewItem


def check_of_org(session: Session, org_id: int, check_id: int) -> ContentCheck | None:
    """An org's check by id (another org's checks are never found)."""
    return session.scalar(select(ContentCheck).where(ContentCheck.id == check_id, ContentCheck.org_id == org_id))


def file_of_check(session: Session, org_id: int, check_id: int) -> QuarantineFile | None:
    """The org's quarantined file of a check whose bytes are still kept, or None."""
    return session.scalar(
        select(QuarantineFile).where(
            QuarantineFile.check_id == check_id,
            QuarantineFile.org_id == org_id,
            QuarantineFile.deleted_at.is_(None),
        )
    )


def row_of_check(session: Session, check_id: int) -> QuarantineFile | None:
    """The quarantine row of a check, deleted or not (a check has at most one)."""
    return session.scalar(select(QuarantineFile).where(QuarantineFile.check_id == check_id))


def due(session: Session, now: datetime, limit: int = 1000) -> list[QuarantineFile]:
    """Kept files whose time is up: past their retention period and not preserved, or past their preservation
    period. Locked (PostgreSQL: other purgers skip them)."""
    stmt = (
        select(QuarantineFile)
        .where(
            QuarantineFile.deleted_at.is_(None),
            or_(
                (QuarantineFile.preserve_until.is_(None)) & (QuarantineFile.expires_at < now),
                QuarantineFile.preserve_until < now,
            ),
        )
        .order_by(QuarantineFile.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def preserve_reported(session: Session, org_id: int, item_ids: list[int], until: datetime) -> int:
    """Keep the org's quarantined files of the reviewed items of a filed report at least ``until`` (the legal
    preservation period counts from the report); how many files."""
    if not item_ids:
        return 0
    checks = select(ReviewItem.check_id).where(ReviewItem.id.in_(item_ids), ReviewItem.org_id == org_id)
    rows = session.scalars(
        select(QuarantineFile).where(
            QuarantineFile.org_id == org_id,
            QuarantineFile.check_id.in_(checks),
            QuarantineFile.deleted_at.is_(None),
        )
    )
    kept = 0
    for row in rows:
        if row.preserve_until is None or row.preserve_until < until:
            row.preserve_until = until
        kept += 1
    return kept


def kept_paths(session: Session) -> set[str]:
    """The file names of every kept quarantined file (the purge removes any other file in the folder)."""
    return set(session.scalars(select(QuarantineFile.path).where(QuarantineFile.deleted_at.is_(None))))
