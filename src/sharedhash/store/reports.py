"""CyberTipline reports: an org's reporter settings and sealed credentials, reports and their files, the lease a
submission attempt holds, and preservation records. Every read is restricted to the caller's org: another org's
report is not found (404)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session, undefer

from sharedhash.errors import NotFoundError
from sharedhash.limits import MAX_REPORT_FILES
from sharedhash.store.models import (
    ContentCheck,
    Report,
    ReportCredential,
    ReportFile,
    ReportPreservation,
    ReportSettings,
    ReportStatus,
    ReviewItem,
    ReviewState,
    utcnow,
)

#: Reports a submission attempt may work on.
ACTIVE = (ReportStatus.SUBMITTING.value, ReportStatus.SUBMITTED.value)


# --- settings and credentials ----------------------------------------------------------------------------------


def report_settings(session: Session, org_id: int) -> ReportSettings | None:
    """The org's reporter settings, or None if never set."""
    return session.get(ReportSettings, org_id)


def put_report_settings(
    session: Session,
    org_id: int,
    reporter: dict[str, Any],
    environment: str,
    pre_submit_url: str | None = None,
    sealed_secret: str | None = None,
) -> ReportSettings:
    """Set the org's reporter details, default environment and pre-submit webhook (None: none; the secret is
    kept while the URL is set, unless a new sealed one is given)."""
    row = session.get(ReportSettings, org_id)
    if row is None:
        row = ReportSettings(org_id=org_id)
        session.add(row)
    row.reporter, row.environment, row.updated_at = reporter, environment, utcnow()
    row.pre_submit_url = pre_submit_url
    if pre_submit_url is None:
        row.pre_submit_secret = None
    elif sealed_secret is not None:
        row.pre_submit_secret = sealed_secret
    session.flush()
    return row


def credential(session: Session, org_id: int, environment: str) -> ReportCredential | None:
    """The org's account in ``environment`` (password sealed), or None."""
    return session.scalar(
        select(ReportCredential).where(ReportCredential.org_id == org_id, ReportCredential.environment == environment)
    )


def credentials(session: Session, org_id: int) -> list[ReportCredential]:
    """The org's accounts, one per environment."""
    stmt = select(ReportCredential).where(ReportCredential.org_id == org_id).order_by(ReportCredential.environment)
    return list(session.scalars(stmt))


def put_credential(
    session: Session, org_id: int, environment: str, url: str, username: str, sealed_password: str
) -> ReportCredential:
    """Set the org's account in ``environment``; the password must come sealed (store.secretbox)."""
    row = credential(session, org_id, environment)
    now = utcnow()
    if row is None:
        row = ReportCredential(org_id=org_id, environment=environment, created_at=now)
        session.add(row)
    row.url, row.username, row.password, row.updated_at = url, username, sealed_password, now
    session.flush()
    return row


def remove_credential(session: Session, org_id: int, environment: str) -> None:
    """Forget the org's account in ``environment``."""
    row = credential(session, org_id, environment)
    if row is None:
        raise NotFoundError(f"your org has no CyberTipline credentials for the {environment} environment")
    session.delete(row)
    session.flush()


# --- reports ---------------------------------------------------------------------------------------------------


def add_report(session: Session, report: Report, files: Sequence[ReportFile]) -> Report:
    """Insert a report and its files (in this order)."""
    session.add(report)
    session.flush()
    for position, file in enumerate(files):
        file.report_id, file.position = report.id, position
        session.add(file)
    session.flush()
    return report


def get_report(session: Session, org_id: int, report_id: int, *, for_update: bool = False) -> Report:
    """The org's report ``report_id``; another org's, or none, is :class:`NotFoundError`."""
    stmt = select(Report).where(Report.id == report_id, Report.org_id == org_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFoundError(f"no report with id {report_id}")
    return row


def report_by_id(session: Session, report_id: int) -> Report | None:
    """A report by id, whatever its org (the background loop's view)."""
    return session.get(Report, report_id)


def list_reports(
    session: Session, org_id: int, *, status: str | None, uploader_id: str | None, before: int | None, limit: int
) -> list[Report]:
    """The org's reports, newest first, optionally of one status or uploader, with ids under ``before``."""
    stmt = select(Report).where(Report.org_id == org_id)
    if status is not None:
        stmt = stmt.where(Report.status == status)
    if uploader_id is not None:
        stmt = stmt.where(Report.uploader_id == uploader_id)
    if before is not None:
        stmt = stmt.where(Report.id < before)
    return list(session.scalars(stmt.order_by(Report.id.desc()).limit(limit)))


def report_files(session: Session, report_id: int, *, with_content: bool = False) -> list[ReportFile]:
    """A report's files in order (their sealed bytes loaded only if asked)."""
    stmt = select(ReportFile).where(ReportFile.report_id == report_id).order_by(ReportFile.position)
    if with_content:
        stmt = stmt.options(undefer(ReportFile.content))
    return list(session.scalars(stmt))


def files_of(session: Session, report_ids: Sequence[int]) -> dict[int, list[ReportFile]]:
    """The files of several reports, by report id."""
    out: dict[int, list[ReportFile]] = {i: [] for i in report_ids}
    if report_ids:
        stmt = select(ReportFile).where(ReportFile.report_id.in_(report_ids)).order_by(ReportFile.position)
        for row in session.scalars(stmt):
            out[row.report_id].append(row)
    return out


def report_file(session: Session, report_id: int, file_id: int) -> ReportFile:
    """One file of a report (its sealed bytes loaded)."""
    row = session.scalar(
        select(ReportFile)
        .where(ReportFile.id == file_id, ReportFile.report_id == report_id)
        .options(undefer(ReportFile.content))
    )
    if row is None:
        raise NotFoundError(f"report {report_id} has no file with id {file_id}")
    return row


def replace_files(session: Session, report: Report, files: Sequence[ReportFile]) -> None:
    """Replace a draft's files."""
    session.execute(delete(ReportFile).where(ReportFile.report_id == report.id))
    for position, file in enumerate(files):
        file.report_id, file.position = report.id, position
        session.add(file)
    session.flush()


def earlier_reports_of(session: Session, org_id: int, uploader_id: str, before_id: int) -> list[int]:
    """NCMEC report ids of the org's finished reports about the same uploader, oldest first."""
    stmt = (
        select(Report.ncmec_report_id)
        .where(
            Report.org_id == org_id,
            Report.uploader_id == uploader_id,
            Report.status == ReportStatus.FINISHED.value,
            Report.id != before_id,
            Report.ncmec_report_id.is_not(None),
        )
        .order_by(Report.id)
    )
    return [int(i) for i in session.scalars(stmt) if i is not None]


# --- submission attempts ---------------------------------------------------------------------------------------


def due_reports(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of reports due for an attempt (queued or open, next attempt passed, no live lease), oldest first."""
    stmt = (
        select(Report.id)
        .where(
            Report.status.in_(ACTIVE),
            Report.next_attempt_at <= now,
            or_(Report.lease_until.is_(None), Report.lease_until < now),
        )
        .order_by(Report.next_attempt_at, Report.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def take_lease(session: Session, report_id: int, now: datetime, until: datetime) -> bool:
    """Take the report's lease (one attempt at a time, across processes); False if another holds it."""
    result = session.execute(
        update(Report)
        .where(
            Report.id == report_id,
            Report.status.in_(ACTIVE),
            or_(Report.lease_until.is_(None), Report.lease_until < now),
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- preservation ----------------------------------------------------------------------------------------------


def add_preservations(
    session: Session, report: Report, files: Sequence[ReportFile], reported_at: datetime, until: datetime
) -> None:
    """One preservation record per reported file of a finished report."""
    now = reported_at
    for file in files:
        session.add(
            ReportPreservation(
                org_id=report.org_id,
                report_id=report.id,
                report_file_id=file.id,
                ncmec_report_id=report.ncmec_report_id or 0,
                file_name=file.file_name,
                hashes=list(file.hashes),
                reported_at=now,
                preserve_until=until,
            )
        )
    session.flush()


def preservations(session: Session, org_id: int, report_id: int) -> list[ReportPreservation]:
    """The preservation records of one of the org's reports."""
    stmt = (
        select(ReportPreservation)
        .where(ReportPreservation.org_id == org_id, ReportPreservation.report_id == report_id)
        .order_by(ReportPreservation.id)
    )
    return list(session.scalars(stmt))


def purge_preservations(session: Session, now: datetime, limit: int = 1000) -> int:
    """Delete preservation records past their period, and the sealed bytes of their files; how many."""
    rows = list(
        session.scalars(
            select(ReportPreservation)
            .where(ReportPreservation.preserve_until <= now)
            .order_by(ReportPreservation.id)
            .limit(limit)
        )
    )
    if not rows:
        return 0
    session.execute(
        update(ReportFile)
        .where(ReportFile.id.in_([r.report_file_id for r in rows]))
        .values(content=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(ReportPreservation).where(ReportPreservation.id.in_([r.id for r in rows])))
    return len(rows)


# --- drafts from confirmed reviews (0014_report_drafts) --------------------------------------------------------


#: First key of the PostgreSQL advisory lock that serialises drafting in one org (the second is the org's id).
_DRAFTING_LOCK = 0x5348_5244


def lock_drafting(session: Session, org_id: int) -> None:
    """Until the transaction ends, be the only one drafting reports for ``org_id``, so that concurrent confirmations
    about one uploader find and fill one draft (PostgreSQL: a transaction-scoped advisory lock; SQLite's write
    transactions are serial already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:kind, :org)"), {"kind": _DRAFTING_LOCK, "org": org_id % 2**31}
        )


def open_draft_of(session: Session, org_id: int, uploader_id: str, *, room_for: int = 1) -> Report | None:
    """The org's newest draft about ``uploader_id`` with room for ``room_for`` more files, or None."""
    stmt = (
        select(Report)
        .where(
            Report.org_id == org_id,
            Report.uploader_id == uploader_id,
            Report.status == ReportStatus.DRAFT.value,
        )
        .order_by(Report.id.desc())
        .with_for_update()
    )
    for report in session.scalars(stmt):
        if file_count(session, report.id) + room_for <= MAX_REPORT_FILES:
            return report
    return None


def file_count(session: Session, report_id: int) -> int:
    """How many files a report holds."""
    return int(session.scalar(select(func.count()).where(ReportFile.report_id == report_id)) or 0)


def latest_finished_of(session: Session, org_id: int, uploader_id: str) -> Report | None:
    """The org's newest finished report about ``uploader_id`` (a new draft about them follows it up), or None."""
    stmt = (
        select(Report)
        .where(
            Report.org_id == org_id,
            Report.uploader_id == uploader_id,
            Report.status == ReportStatus.FINISHED.value,
        )
        .order_by(Report.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def append_files(session: Session, report: Report, files: Sequence[ReportFile]) -> None:
    """Add files at the end of a report."""
    last = session.scalar(select(func.max(ReportFile.position)).where(ReportFile.report_id == report.id))
    start = -1 if last is None else int(last)
    for offset, file in enumerate(files, start=1):
        file.report_id, file.position = report.id, start + offset
        session.add(file)
    session.flush()


def delete_file(session: Session, report: Report, file_id: int) -> ReportFile:
    """Remove one file of a report (the caller checked that the report is a draft); the removed row."""
    row = report_file(session, report.id, file_id)
    session.delete(row)
    session.flush()
    return row


def reports_of_item(session: Session, org_id: int, item_id: int) -> list[tuple[Report, ReportFile]]:
    """The org's reports (any status) holding a file drafted from review item ``item_id``, with that file."""
    stmt = (
        select(Report, ReportFile)
        .join(ReportFile, ReportFile.report_id == Report.id)
        .where(Report.org_id == org_id, ReportFile.review_item_id == item_id)
        .order_by(Report.id)
    )
    return [(r, f) for r, f in session.execute(stmt)]


def items_in_reports(session: Session, org_id: int, item_ids: Sequence[int]) -> dict[int, int]:
    """``{review item id: report id}`` of these items that are in one of the org's reports not retracted."""
    if not item_ids:
        return {}
    stmt = (
        select(ReportFile.review_item_id, Report.id)
        .join(Report, Report.id == ReportFile.report_id)
        .where(
            Report.org_id == org_id,
            Report.status != ReportStatus.RETRACTED.value,
            ReportFile.review_item_id.in_(list(item_ids)),
        )
    )
    return {int(i): int(r) for i, r in session.execute(stmt) if i is not None}


def confirmed_items(
    session: Session, org_id: int, *, uploader_id: str | None = None, limit: int = 200
) -> list[tuple[ReviewItem, ContentCheck]]:
    """The org's confirmed review items with their content, newest decision first (optionally one uploader's)."""
    stmt = (
        select(ReviewItem, ContentCheck)
        .join(ContentCheck, ContentCheck.id == ReviewItem.check_id)
        .where(
            ReviewItem.org_id == org_id,
            ReviewItem.state == ReviewState.DECIDED.value,
            ReviewItem.decision == "confirmed",
        )
        .order_by(ReviewItem.decided_at.desc(), ReviewItem.id.desc())
        .limit(limit)
    )
    if uploader_id is not None:
        stmt = stmt.where(ContentCheck.uploader_id == uploader_id)
    return [(i, c) for i, c in session.execute(stmt)]


def confirmed_item(session: Session, org_id: int, item_id: int) -> tuple[ReviewItem, ContentCheck] | None:
    """One of the org's confirmed review items with its content, or None (another org's, open or not confirmed)."""
    stmt = (
        select(ReviewItem, ContentCheck)
        .join(ContentCheck, ContentCheck.id == ReviewItem.check_id)
        .where(
            ReviewItem.id == item_id,
            ReviewItem.org_id == org_id,
            ReviewItem.state == ReviewState.DECIDED.value,
            ReviewItem.decision == "confirmed",
        )
    )
    found = session.execute(stmt).first()
    return (found[0], found[1]) if found is not None else None
