"""CyberTipline reports: drafts (one per uploader, files grouped), edits, validation, submission through NCMEC's
documented lifecycle (submit -> upload each file -> fileinfo -> finish; retract on a permanent failure) with
retries over hours (exponential back-off with jitter, run by the loop registry), org credentials sealed at rest,
follow-ups that name earlier reports, ZIP export, and preservation records purged after the legal period.

Every function takes the database and the settings (not the hub state), so the CLI calls them on a node's own
database. Queries are in :mod:`sharedhash.store.reports`; the XML and the client in :mod:`sharedhash.reports`.

States: draft -> submitting (queued) -> submitted (open at NCMEC) -> finished; failed (permanent error or out of
retries: an open NCMEC report is retracted), expired (NCMEC cancelled it unfinished and no retry is left),
retracted (withdrawn before it was finished). An open NCMEC report older than ``report_ncmec_expiry_hours``, or one
NCMEC no longer knows, is abandoned (its id kept in ``abandoned_ncmec_ids``) and the submission starts again."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import ConflictError, InvalidInputError, LimitExceededError, NotFoundError, SharedhashError
from sharedhash.hashing import get_hash_type
from sharedhash.reports import model, presubmit
from sharedhash.reports.client import Credentials, CyberTiplineClient
from sharedhash.reports.content import content_mismatches, md5_hex
from sharedhash.reports.errors import (
    CyberTiplineAlreadyFinishedError,
    CyberTiplineAlreadyRetractedError,
    CyberTiplineError,
    CyberTiplineReportGoneError,
    CyberTiplineServerError,
    ReportXmlInvalidError,
)
from sharedhash.reports.retry import backoff_seconds
from sharedhash.reports.schema import packaged_schema, problems
from sharedhash.reports.xml import file_details_xml, report_xml
from sharedhash.server.accounts.service import Who
from sharedhash.settings import Settings
from sharedhash.store import audit
from sharedhash.store import quarantine as quarantine_store
from sharedhash.store import reports as store
from sharedhash.store import review as review_store
from sharedhash.store.db import Database
from sharedhash.store.models import ContentCheck, Report, ReportFile, ReportStatus, ReviewItem, utcnow
from sharedhash.store.secretbox import SecretBox
from sharedhash.store.validation import validate_hash
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)

#: How long one submission attempt may hold a report before another process may take it over.
LEASE_SECONDS = 900.0
#: Reports one round of the loop works on at most.
ROUND_LIMIT = 20

ClientFactory = Callable[[Credentials], CyberTiplineClient]


class ReportStateError(ConflictError):
    """The report is not in a state that allows this (e.g. editing a submitted report)."""

    code = "report_state"
    default_hint = "See the report's `status`: drafts are edited; finished reports take a follow-up report."


class ReportIncompleteError(InvalidInputError):
    """The report cannot be submitted yet: no credentials, no reporter details, or a file without its bytes."""

    code = "report_incomplete"
    default_hint = "Set the org's reporter details and credentials, and attach every file's bytes (docs/reports.md)."


class ReportContentMismatchError(InvalidInputError):
    """Attached bytes whose hash is not the one the report gives for the file."""

    code = "report_content_mismatch"
    default_hint = "Attach the file the hashes were taken from, or correct the hashes in the draft."


@dataclass(frozen=True, slots=True)
class PersonCaller(Caller):
    """A signed-in person (a lead or admin on the report pages) acting for their org: audit records name them."""

    person_id: int = 0
    login: str = ""


def for_person(who: Who) -> PersonCaller:
    """The caller of a signed-in person's report action (their org; the audit names them)."""
    return PersonCaller(
        org_id=who.org_id,
        org_name=who.org_name,
        key_id=None,
        scopes=who.caller.scopes,
        person_id=who.person_id,
        login=who.login,
    )


def _audit(
    session: Session,
    caller: Caller | None,
    action: str,
    *,
    target: str = "",
    count: int = 0,
    detail: dict[str, Any] | None = None,
) -> None:
    """An audit record of a report action, naming the person when a person acted (the report pages)."""
    if isinstance(caller, PersonCaller):
        detail = {"person_id": caller.person_id, "login": caller.login, **(detail or {})}
    audit.record(session, caller, action, target=target, count=count, detail=detail)


# --- what is stored, as the report model -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftFile:
    """A file for :func:`draft_report`: its name, hashes ``(type, value)`` and the facts NCMEC asks for."""

    file_name: str
    hashes: tuple[tuple[str, str], ...]
    viewed_by_esp: bool = False
    publicly_available: bool | None = None
    original_url: str = ""
    classification: str = ""
    review_item_id: int | None = None


def _person_json(person: dict[str, Any]) -> model.Person:
    return model.Person(
        first_name=str(person.get("first_name", "")),
        last_name=str(person.get("last_name", "")),
        emails=tuple(person.get("emails", ())),
        phones=tuple(person.get("phones", ())),
    )


def _ip_json(ip: dict[str, Any]) -> model.IpCapture:
    at = ip.get("at")
    return model.IpCapture(
        ip_address=str(ip["ip_address"]),
        event=model.IpEvent(ip.get("event", model.IpEvent.UNKNOWN.value)),
        at=datetime.fromisoformat(at) if at else None,
        possible_proxy=ip.get("possible_proxy"),
        port=ip.get("port"),
    )


def _model(report: Report, files: Sequence[ReportFile], prior: Sequence[int]) -> model.Report:
    who = report.reported_person
    reporter = report.reporter or {}
    return model.Report(
        incident_type=model.IncidentType(report.incident_type),
        incident_time=report.incident_time,
        reporter=model.Reporter(
            person=_person_json(reporter.get("person", {})),
            company_template=str(reporter.get("company_template", "")),
            terms_of_service=str(reporter.get("terms_of_service", "")),
            legal_url=str(reporter.get("legal_url", "")),
        ),
        reported_person=model.ReportedPerson(
            esp_identifier=report.uploader_id,
            screen_name=str(who.get("screen_name", "")),
            display_names=tuple(who.get("display_names", ())),
            profile_urls=tuple(who.get("profile_urls", ())),
            emails=tuple(who.get("emails", ())),
            ip_captures=tuple(_ip_json(ip) for ip in who.get("ip_captures", ())),
            prior_reports=tuple(prior),
            esp_service=str(who.get("esp_service", "")),
        ),
        files=tuple(_file_model(f) for f in files),
        additional_info=report.additional_info,
    )


def _file_model(file: ReportFile) -> model.ReportFile:
    return model.ReportFile(
        file_name=file.file_name,
        hashes=tuple((h["hash_type"], h["value"]) for h in file.hashes),
        viewed_by_esp=file.viewed_by_esp,
        publicly_available=file.publicly_available,
        original_url=file.original_url,
        classification=file.classification,
    )


def _file_rows(files: Sequence[DraftFile]) -> list[ReportFile]:
    if not files:
        raise InvalidInputError("a report needs at least one file")
    rows = []
    for f in files:
        hashes = []
        for hash_type, value in f.hashes:
            checked = validate_hash(hash_type, value, min_quality=0)
            hashes.append({"hash_type": checked.hash_type, "value": checked.value})
        rows.append(
            ReportFile(
                file_name=f.file_name,
                hashes=hashes,
                viewed_by_esp=f.viewed_by_esp,
                publicly_available=f.publicly_available,
                original_url=f.original_url,
                classification=f.classification,
                details_sent=False,
                review_item_id=f.review_item_id,
            )
        )
    return rows


def _prior_ids(session: Session, report: Report) -> list[int]:
    """NCMEC ids of the org's earlier finished reports on the same uploader, and of the followed report."""
    ids = store.earlier_reports_of(session, report.org_id, report.uploader_id, report.id)
    if report.follows_report_id is not None:
        followed = store.get_report(session, report.org_id, report.follows_report_id)
        if followed.ncmec_report_id is not None and followed.ncmec_report_id not in ids:
            ids.append(followed.ncmec_report_id)
    return ids


# --- drafts ----------------------------------------------------------------------------------------------------


def draft_report(
    session: Session,
    org_id: int,
    uploader_id: str,
    files: Sequence[DraftFile],
    *,
    incident_type: model.IncidentType = model.IncidentType.CHILD_PORNOGRAPHY,
    incident_time: datetime | None = None,
    reported_person: dict[str, Any] | None = None,
    environment: model.Environment | None = None,
    follows_report_id: int | None = None,
    additional_info: str = "",
) -> Report:
    """A draft report about ``uploader_id`` grouping ``files``, in the caller's transaction (no audit record:
    the caller records its own). The reporter comes from the org's settings; the environment defaults to the org's.
    A follow-up names an earlier finished report of the org (its NCMEC id goes into ``priorCTReports``)."""
    if len(files) > limits.MAX_REPORT_FILES:
        raise LimitExceededError(f"a report holds at most {limits.MAX_REPORT_FILES} files")
    settings = store.report_settings(session, org_id)
    if follows_report_id is not None:
        followed = store.get_report(session, org_id, follows_report_id)
        if followed.status != ReportStatus.FINISHED.value:
            raise ReportStateError(
                f"report {follows_report_id} is {followed.status}: a follow-up refers to a finished report"
            )
    now = utcnow()
    report = Report(
        org_id=org_id,
        uploader_id=uploader_id,
        environment=environment.value if environment else (settings.environment if settings else "test"),
        status=ReportStatus.DRAFT.value,
        incident_type=incident_type.value,
        incident_time=incident_time or now,
        reporter=dict(settings.reporter) if settings else {},
        reported_person=reported_person or {},
        additional_info=additional_info,
        follows_report_id=follows_report_id,
        abandoned_ncmec_ids=[],
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    return store.add_report(session, report, _file_rows(files))


def create(db: Database, caller: Caller, uploader_id: str, files: Sequence[DraftFile], **fields: Any) -> int:
    """Create a draft (see :func:`draft_report`), audited; its id."""
    with db.writing() as session:
        report = draft_report(session, caller.org_id, uploader_id, files, **fields)
        _audit(session, caller, "report.draft", target=f"report:{report.id}", count=len(files))
        return report.id


def update(db: Database, caller: Caller, report_id: int, files: Sequence[DraftFile] | None, **fields: Any) -> None:
    """Change a draft's fields (``files`` replaces them all); audited. Only drafts are edited."""
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        _require(report, ReportStatus.DRAFT, "edited")
        for name, value in fields.items():
            if value is None:
                continue
            if name == "incident_type":
                value = model.IncidentType(value).value
            elif name == "environment":
                value = model.Environment(value).value
            setattr(report, name, value)
        if files is not None:
            store.replace_files(session, report, _file_rows(files))
        report.updated_at = utcnow()
        _audit(
            session,
            caller,
            "report.update",
            target=f"report:{report_id}",
            detail={"fields": sorted(k for k, v in fields.items() if v is not None) + (["files"] if files else [])},
        )


def attach(db: Database, settings: Settings, caller: Caller, report_id: int, file_id: int, data: bytes) -> None:
    """Attach a draft file's bytes (sealed at rest); they must hash to the draft's cryptographic hashes."""
    if not data:
        raise InvalidInputError("the file is empty")
    if len(data) > settings.max_file_bytes:
        raise LimitExceededError(f"a reported file is at most {settings.max_file_bytes:,} bytes")
    box = SecretBox.from_settings(settings)
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        _require(report, ReportStatus.DRAFT, "given files")
        file = store.report_file(session, report_id, file_id)
        wrong = content_mismatches(data, ((h["hash_type"], h["value"]) for h in file.hashes))
        if wrong:
            raise ReportContentMismatchError(
                f"the bytes do not have the {', '.join(wrong)} hash the report gives for file {file_id}"
            )
        file.content, file.content_md5, file.content_size = box.seal_bytes(data), md5_hex(data), len(data)
        report.updated_at = utcnow()
        _audit(session, caller, "report.attach", target=f"report:{report_id}", detail={"file": file_id})


def _refresh_reporter(session: Session, report: Report) -> None:
    """A report not yet sent carries the org's current reporter details (set after the draft was made, say)."""
    if report.ncmec_report_id is None:
        current = store.report_settings(session, report.org_id)
        if current is not None:
            report.reporter = dict(current.reporter)


def _require(report: Report, status: ReportStatus, what: str) -> None:
    if report.status != status.value:
        raise ReportStateError(f"report {report.id} is {report.status}: only a {status.value} report can be {what}")


# --- reading ---------------------------------------------------------------------------------------------------


def _shown(session: Session, report: Report, files: Sequence[ReportFile], settings: Settings) -> dict[str, Any]:
    expires = (
        report.ncmec_opened_at + timedelta(hours=settings.report_ncmec_expiry_hours)
        if report.ncmec_opened_at is not None and report.status == ReportStatus.SUBMITTED.value
        else None
    )
    return {
        "id": report.id,
        "uploader_id": report.uploader_id,
        "environment": report.environment,
        "status": report.status,
        "incident_type": report.incident_type,
        "incident_time": report.incident_time,
        "reporter": report.reporter,
        "reported_person": report.reported_person,
        "additional_info": report.additional_info,
        "follows_report_id": report.follows_report_id,
        "prior_ncmec_report_ids": _prior_ids(session, report),
        "ncmec_report_id": report.ncmec_report_id,
        "ncmec_opened_at": report.ncmec_opened_at,
        "ncmec_expires_at": expires,
        "abandoned_ncmec_ids": list(report.abandoned_ncmec_ids),
        "attempts": report.attempts,
        "next_attempt_at": report.next_attempt_at,
        "last_error": report.last_error,
        "last_error_code": report.last_error_code,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "finished_at": report.finished_at,
        "retracted_at": report.retracted_at,
        "files": [
            {
                "id": f.id,
                "file_name": f.file_name,
                "hashes": list(f.hashes),
                "viewed_by_esp": f.viewed_by_esp,
                "publicly_available": f.publicly_available,
                "original_url": f.original_url,
                "classification": f.classification,
                "has_content": f.content_md5 is not None,
                "content_size": f.content_size,
                "ncmec_file_id": f.ncmec_file_id,
                "details_sent": f.details_sent,
                "review_item_id": f.review_item_id,
            }
            for f in files
        ],
    }


def show(db: Database, settings: Settings, caller: Caller, report_id: int) -> dict[str, Any]:
    """One of the org's reports, with its files and submission state."""
    with db.reading() as session:
        report = store.get_report(session, caller.org_id, report_id)
        return _shown(session, report, store.report_files(session, report.id), settings)


def listing(
    db: Database,
    settings: Settings,
    caller: Caller,
    *,
    status: ReportStatus | None = None,
    uploader_id: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The org's reports, newest first."""
    with db.reading() as session:
        rows = store.list_reports(
            session,
            caller.org_id,
            status=status.value if status else None,
            uploader_id=uploader_id,
            before=before,
            limit=limit,
        )
        files = store.files_of(session, [r.id for r in rows])
        return [_shown(session, r, files[r.id], settings) for r in rows]


# --- validation ------------------------------------------------------------------------------------------------


def _documents(session: Session, report: Report, files: Sequence[ReportFile]) -> tuple[bytes, list[bytes]]:
    """The report document and each file's details (with NCMEC's ids, or placeholders before they exist)."""
    built = _model(report, files, _prior_ids(session, report))
    rid = report.ncmec_report_id or 1
    details = [
        file_details_xml(rid, f.ncmec_file_id or f"pending-{f.id}", m) for f, m in zip(files, built.files, strict=True)
    ]
    return report_xml(built), details


def _problems(session: Session, report: Report, files: Sequence[ReportFile]) -> list[str]:
    found = []
    if not (report.reporter or {}).get("person", {}).get("emails"):
        found.append("reporter: the org's reporter details have no email (PUT /v1/report-settings)")
    document, details = _documents(session, report, files)
    found += [f"report {p}" for p in problems(packaged_schema(), document)]
    for f, d in zip(files, details, strict=True):
        found += [f"file {f.id} {p}" for p in problems(packaged_schema(), d)]
    return found


def validate(db: Database, caller: Caller, report_id: int) -> list[str]:
    """What keeps the report from matching the CyberTipline schema (the packaged one), or nothing."""
    with db.reading() as session:
        report = store.get_report(session, caller.org_id, report_id)
        _refresh_reporter(session, report)
        found = _problems(session, report, store.report_files(session, report.id))
        session.rollback()  # the refreshed reporter is only looked at here
        return found


# --- submission ------------------------------------------------------------------------------------------------


def set_credentials(
    db: Database,
    settings: Settings,
    caller: Caller,
    environment: model.Environment,
    username: str,
    password: str,
    url: str | None = None,
) -> dict[str, Any]:
    """Set the org's CyberTipline account for ``environment``; the password is sealed before it is stored."""
    sealed = SecretBox.from_settings(settings).seal(password)
    with db.writing() as session:
        row = store.put_credential(
            session, caller.org_id, environment.value, url or model.ENVIRONMENT_URLS[environment], username, sealed
        )
        _audit(session, caller, "report.credentials.set", target=f"environment:{environment.value}")
        return {"environment": row.environment, "url": row.url, "username": row.username, "updated_at": row.updated_at}


def list_credentials(db: Database, caller: Caller) -> list[dict[str, Any]]:
    """The org's accounts (never a password)."""
    with db.reading() as session:
        return [
            {"environment": r.environment, "url": r.url, "username": r.username, "updated_at": r.updated_at}
            for r in store.credentials(session, caller.org_id)
        ]


def remove_credentials(db: Database, caller: Caller, environment: model.Environment) -> None:
    """Forget the org's account for ``environment``."""
    with db.writing() as session:
        store.remove_credential(session, caller.org_id, environment.value)
        _audit(session, caller, "report.credentials.remove", target=f"environment:{environment.value}")


def get_settings_of(db: Database, caller: Caller) -> dict[str, Any]:
    """The org's reporter details, default environment and pre-submit webhook URL (never its secret)."""
    with db.reading() as session:
        row = store.report_settings(session, caller.org_id)
        if row is None:
            return {
                "reporter": {},
                "environment": model.Environment.TEST.value,
                "pre_submit_url": None,
                "updated_at": None,
            }
        return {
            "reporter": row.reporter,
            "environment": row.environment,
            "pre_submit_url": row.pre_submit_url,
            "updated_at": row.updated_at,
        }


def put_settings_of(
    db: Database,
    settings: Settings,
    caller: Caller,
    reporter: dict[str, Any],
    environment: model.Environment,
    pre_submit_url: str | None = None,
) -> str | None:
    """Set the org's reporter details (used by reports not yet sent), default environment and pre-submit webhook;
    the webhook's new signing secret when one was made (the first time a URL is set), shown only now."""
    fresh: str | None = None
    with db.writing() as session:
        current = store.report_settings(session, caller.org_id)
        sealed = None
        if pre_submit_url is not None and (current is None or current.pre_submit_secret is None):
            fresh = presubmit.new_secret()
            sealed = SecretBox.from_settings(settings).seal(fresh)
        store.put_report_settings(session, caller.org_id, reporter, environment.value, pre_submit_url, sealed)
        _audit(
            session,
            caller,
            "report.settings",
            target=f"org:{caller.org_id}",
            detail={"pre_submit_hook": pre_submit_url is not None},
        )
    return fresh


def _ask_platform(db: Database, settings: Settings, caller: Caller, report_id: int) -> list[str] | None:
    """Ask the org's pre-submit webhook for the uploader's details and fill the draft's empty reported-person
    fields with them (what a lead entered stays); nothing to do without a webhook."""
    from pydantic import ValidationError

    from sharedhash.server.reports.schemas import ReportedPersonIn

    with db.reading() as session:
        hook = store.report_settings(session, caller.org_id)
        report = store.get_report(session, caller.org_id, report_id)
        if hook is None or hook.pre_submit_url is None or hook.pre_submit_secret is None:
            return None
        if report.status != ReportStatus.DRAFT.value:
            return None
        url, sealed = hook.pre_submit_url, hook.pre_submit_secret
        payload = {
            "type": "report.pre_submit",
            "report_id": report.id,
            "uploader_id": report.uploader_id,
            "files": [{"file_name": f.file_name} for f in store.report_files(session, report.id)],
        }
    answer = presubmit.ask(url, SecretBox.from_settings(settings).open(sealed), payload)
    try:
        given = ReportedPersonIn.model_validate(answer).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise presubmit.PreSubmitHookError(
            f"the pre-submit webhook's answer is not a reported person ({where}: {first['msg']})"
        ) from None
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        merged = dict(report.reported_person)
        filled = sorted(k for k, v in given.items() if v and not merged.get(k))
        for name in filled:
            merged[name] = given[name]
        report.reported_person = merged
        _audit(session, caller, "report.presubmit", target=f"report:{report_id}", detail={"filled": filled})
    return filled


def submit(
    db: Database,
    settings: Settings,
    caller: Caller,
    report_id: int,
    *,
    attempt_now: bool = True,
    client_factory: ClientFactory = CyberTiplineClient,
) -> dict[str, Any]:
    """Queue a draft (or a failed or expired report) for submission, after checking it against the schema and that
    the org has credentials and every file its bytes; then make the first attempt at once (unless told not to).
    Later attempts are the loop's (:func:`run_due`). A draft first gets the uploader's details from the org's
    pre-submit webhook, if it has one."""
    _ask_platform(db, settings, caller, report_id)
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        allowed = (ReportStatus.DRAFT.value, ReportStatus.FAILED.value, ReportStatus.EXPIRED.value)
        if report.status not in allowed:
            raise ReportStateError(
                f"report {report_id} is {report.status}: only drafts, failed or expired reports are submitted"
            )
        _refresh_reporter(session, report)
        files = store.report_files(session, report.id)
        found = _problems(session, report, files)
        if found:
            raise ReportXmlInvalidError(f"report {report_id} does not match the CyberTipline schema", problems=found)
        missing = [f.id for f in files if f.content_md5 is None]
        if missing:
            raise ReportIncompleteError(
                f"report {report_id}: files {missing} have no bytes attached "
                "(PUT /v1/reports/{id}/files/{file_id}/content)"
            )
        if store.credential(session, caller.org_id, report.environment) is None:
            raise ReportIncompleteError(
                f"your org has no CyberTipline credentials for the {report.environment} environment",
                hint=f"sharedhash report credentials set --env {report.environment} --org <org> --username <name>",
            )
        now = utcnow()
        report.status = ReportStatus.SUBMITTING.value
        report.attempts, report.first_attempt_at, report.next_attempt_at = 0, now, now
        report.last_error = report.last_error_code = None
        report.updated_at = now
        _audit(session, caller, "report.submit", target=f"report:{report_id}", count=len(files))
    if attempt_now:
        attempt(db, settings, report_id, client_factory=client_factory)
    return show(db, settings, caller, report_id)


def _org_caller(org_id: int) -> Caller:
    return Caller(org_id=org_id, org_name="", key_id=None, scopes=frozenset())


@dataclass
class _Work:
    """What an attempt needs, read in one short transaction."""

    report_id: int
    org_id: int
    credentials: Credentials
    ncmec_report_id: int | None
    opened_at: datetime | None
    document: bytes
    files: list[tuple[int, str, bytes, str | None, bool, model.ReportFile]]  # id, name, bytes, file id, sent, model


def _load(db: Database, settings: Settings, report_id: int, box: SecretBox) -> _Work | None:
    now = utcnow()
    with db.writing() as session:
        if not store.take_lease(session, report_id, now, now + timedelta(seconds=LEASE_SECONDS)):
            return None
        report = store.report_by_id(session, report_id)
        assert report is not None
        cred = store.credential(session, report.org_id, report.environment)
        if cred is None:
            _fail_now(session, report, "no credentials for the environment", "report_incomplete")
            return None
        files = store.report_files(session, report.id, with_content=True)
        built = _model(report, files, _prior_ids(session, report))
        return _Work(
            report_id=report.id,
            org_id=report.org_id,
            credentials=Credentials(cred.url, cred.username, box.open(cred.password)),
            ncmec_report_id=report.ncmec_report_id,
            opened_at=report.ncmec_opened_at,
            document=report_xml(built),
            files=[
                (f.id, f.file_name, box.open_bytes(f.content) if f.content else b"", f.ncmec_file_id, f.details_sent, m)
                for f, m in zip(files, built.files, strict=True)
            ],
        )


def _fail_now(session: Session, report: Report, message: str, code: str) -> None:
    report.status = ReportStatus.FAILED.value
    report.last_error, report.last_error_code = message[:2000], code
    report.next_attempt_at = report.lease_until = None
    report.updated_at = utcnow()
    audit.record(
        session, _org_caller(report.org_id), "report.failed", target=f"report:{report.id}", detail={"code": code}
    )


def _save(db: Database, report_id: int, change: Callable[[Session, Report], None]) -> None:
    with db.writing() as session:
        report = store.report_by_id(session, report_id)
        assert report is not None
        change(session, report)
        report.updated_at = utcnow()


def _abandon(report: Report, session: Session, reason: str) -> None:
    """Give up the open NCMEC report (expired or gone): the files go up again with the next report."""
    if report.ncmec_report_id is not None:
        report.abandoned_ncmec_ids = [*report.abandoned_ncmec_ids, report.ncmec_report_id]
        audit.record(
            session,
            _org_caller(report.org_id),
            "report.ncmec_expired",
            target=f"report:{report.id}",
            detail={"ncmec_report_id": report.ncmec_report_id, "reason": reason},
        )
    report.ncmec_report_id = report.ncmec_opened_at = None
    report.status = ReportStatus.SUBMITTING.value
    for f in store.report_files(session, report.id):
        f.ncmec_file_id, f.details_sent = None, False


def attempt(
    db: Database, settings: Settings, report_id: int, *, client_factory: ClientFactory = CyberTiplineClient
) -> str | None:
    """One submission attempt of a due report, resuming where the last one stopped; its status afterwards (None
    if another attempt holds the report). Each step's result is committed before the next step."""
    box = SecretBox.from_settings(settings)
    work = _load(db, settings, report_id, box)
    if work is None:
        return None
    expiry = timedelta(hours=settings.report_ncmec_expiry_hours)
    if work.ncmec_report_id is not None and work.opened_at is not None and utcnow() - work.opened_at >= expiry:
        _save(db, report_id, lambda s, r: _abandon(r, s, "open longer than NCMEC keeps unfinished reports"))
        work.ncmec_report_id = None
        work.files = [(i, n, c, None, False, m) for i, n, c, _, _, m in work.files]
    try:
        with client_factory(work.credentials) as client:
            return _steps(db, settings, work, client)
    except CyberTiplineError as exc:
        return _after_error(db, settings, work, exc, client_factory)
    except ReportXmlInvalidError as exc:  # the environment's own schema refuses it
        return _after_error(db, settings, work, exc, client_factory)


def _steps(db: Database, settings: Settings, work: _Work, client: CyberTiplineClient) -> str:
    if work.ncmec_report_id is None:
        ncmec_id = client.submit(work.document)
        work.ncmec_report_id = ncmec_id

        def opened(session: Session, r: Report) -> None:
            r.ncmec_report_id, r.ncmec_opened_at, r.status = ncmec_id, utcnow(), ReportStatus.SUBMITTED.value

        _save(db, work.report_id, opened)
    rid = work.ncmec_report_id
    for index, (file_pk, name, content, file_id, sent, file_model) in enumerate(work.files):
        if file_id is None:
            answer = client.upload(rid, name, content)
            if answer.md5 is not None and answer.md5 != md5_hex(content):
                raise CyberTiplineServerError(f"upload: NCMEC received a damaged copy of file {file_pk}")
            file_id = answer.file_id
            assert file_id is not None
            _save(db, work.report_id, partial(_set_file, file_pk=file_pk, file_id=file_id, sent=False))
        if not sent:
            client.file_info(file_details_xml(rid, file_id, file_model))
            _save(db, work.report_id, partial(_set_file, file_pk=file_pk, file_id=file_id, sent=True))
        work.files[index] = (file_pk, name, content, file_id, True, file_model)
    try:
        client.finish(rid)
    except CyberTiplineAlreadyFinishedError:
        pass  # finished by an earlier attempt whose answer was lost: the desired state
    _save(db, work.report_id, lambda s, r: _finished(s, r, settings))
    log.info("report %s finished at NCMEC as %s", work.report_id, rid)
    return ReportStatus.FINISHED.value


def _set_file(session: Session, report: Report, file_pk: int, file_id: str, sent: bool) -> None:
    for f in store.report_files(session, report.id):
        if f.id == file_pk:
            f.ncmec_file_id, f.details_sent = file_id, sent


def _finished(session: Session, report: Report, settings: Settings) -> None:
    now = utcnow()
    report.status, report.finished_at = ReportStatus.FINISHED.value, now
    report.next_attempt_at = report.lease_until = None
    report.last_error = report.last_error_code = None
    files = store.report_files(session, report.id)
    until = now + timedelta(days=settings.report_preservation_days)
    store.add_preservations(session, report, files, now, until)
    # Quarantined media of the reported items is kept for the same period, counted from the report.
    items = [f.review_item_id for f in files if f.review_item_id is not None]
    quarantine_store.preserve_reported(session, report.org_id, items, until)
    audit.record(
        session,
        _org_caller(report.org_id),
        "report.finished",
        target=f"report:{report.id}",
        count=len(files),
        detail={"ncmec_report_id": report.ncmec_report_id},
    )


def _after_error(
    db: Database, settings: Settings, work: _Work, exc: SharedhashError, client_factory: ClientFactory
) -> str:
    listed = exc.details.get("problems") or []
    message = exc.message + (f": {'; '.join(listed)}" if listed else "")
    gone = isinstance(exc, CyberTiplineReportGoneError | CyberTiplineAlreadyRetractedError)
    transient = gone or bool(getattr(exc, "transient", False))
    now = utcnow()
    status: list[str] = []

    def change(session: Session, r: Report) -> None:
        r.attempts += 1
        r.last_error, r.last_error_code = message[:2000], exc.code
        r.lease_until = None
        if gone and work.ncmec_report_id is not None:
            _abandon(r, session, exc.code)
        first = r.first_attempt_at or now
        out_of_time = now - first >= timedelta(hours=settings.report_retry_hours)
        if transient and not out_of_time:
            delay = (
                0.0
                if gone
                else backoff_seconds(r.attempts, settings.report_backoff_seconds, settings.report_backoff_max_seconds)
            )
            r.next_attempt_at = now + timedelta(seconds=delay)
        else:
            r.next_attempt_at = None
            r.status = (ReportStatus.EXPIRED if gone else ReportStatus.FAILED).value
            audit.record(
                session, _org_caller(r.org_id), f"report.{r.status}", target=f"report:{r.id}", detail={"code": exc.code}
            )
        status.append(r.status)

    _save(db, work.report_id, change)
    log.warning(
        "report %s: attempt failed (%s)%s",
        work.report_id,
        exc.code,
        "" if status[0] in (ReportStatus.FAILED.value, ReportStatus.EXPIRED.value) else "; retrying later",
    )
    if status[0] == ReportStatus.FAILED.value and work.ncmec_report_id is not None and not gone:
        _retract_remote(db, work, client_factory)
    return status[0]


def _retract_remote(db: Database, work: _Work, client_factory: ClientFactory) -> None:
    """Retract the open NCMEC report of a failed submission (best effort: NCMEC cancels it later anyway)."""
    rid = work.ncmec_report_id
    assert rid is not None
    try:
        with client_factory(work.credentials) as client:
            client.retract(rid)
    except CyberTiplineError as exc:
        log.warning("report %s: retracting NCMEC report %s failed (%s)", work.report_id, rid, exc.code)
        return

    def retracted(session: Session, r: Report) -> None:
        r.abandoned_ncmec_ids = [*r.abandoned_ncmec_ids, rid]
        r.ncmec_report_id = r.ncmec_opened_at = None
        for f in store.report_files(session, r.id):
            f.ncmec_file_id, f.details_sent = None, False
        audit.record(
            session,
            _org_caller(r.org_id),
            "report.ncmec_retracted",
            target=f"report:{r.id}",
            detail={"ncmec_report_id": rid},
        )

    _save(db, work.report_id, retracted)


def retract(
    db: Database,
    settings: Settings,
    caller: Caller,
    report_id: int,
    *,
    client_factory: ClientFactory = CyberTiplineClient,
) -> dict[str, Any]:
    """Withdraw a report that is not finished: an open NCMEC report is retracted there first. A finished report is
    final (409): send a follow-up instead."""
    box = SecretBox.from_settings(settings)
    now = utcnow()
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        if report.status in (ReportStatus.FINISHED.value, ReportStatus.RETRACTED.value):
            raise ReportStateError(
                f"report {report_id} is {report.status} and cannot be retracted"
                + (": send a follow-up report instead" if report.status == "finished" else "")
            )
        if report.lease_until is not None and report.lease_until > now:
            raise ReportStateError(f"a submission attempt of report {report_id} is running; retry in a moment")
        open_id = report.ncmec_report_id
        cred = store.credential(session, report.org_id, report.environment)
        credentials = Credentials(cred.url, cred.username, box.open(cred.password)) if cred is not None else None
    if open_id is not None:
        if credentials is None:
            raise ReportIncompleteError("the report is open at NCMEC but your org's credentials are gone")
        try:
            with client_factory(credentials) as client:
                client.retract(open_id)
        except (CyberTiplineAlreadyRetractedError, CyberTiplineReportGoneError):
            pass  # already withdrawn or cancelled by NCMEC: the desired state
        except CyberTiplineAlreadyFinishedError:
            _save(db, report_id, lambda s, r: _finished(s, r, settings))
            raise ReportStateError(
                f"report {report_id} was already finished at NCMEC and cannot be retracted"
            ) from None

    def retracted(session: Session, r: Report) -> None:
        r.status, r.retracted_at = ReportStatus.RETRACTED.value, utcnow()
        r.next_attempt_at = r.lease_until = None
        for f in store.report_files(session, r.id, with_content=True):
            f.content = None  # nothing was reported: the bytes are not kept
        _audit(session, caller, "report.retract", target=f"report:{report_id}", detail={"ncmec_report_id": open_id})

    _save(db, report_id, retracted)
    return show(db, settings, caller, report_id)


def run_due(db: Database, settings: Settings, *, client_factory: ClientFactory = CyberTiplineClient) -> int:
    """One round of the loop: an attempt for every report that is due; how many were attempted."""
    with db.reading() as session:
        due = store.due_reports(session, utcnow(), ROUND_LIMIT)
    done = 0
    for report_id in due:
        try:
            if attempt(db, settings, report_id, client_factory=client_factory) is not None:
                done += 1
        except Exception:
            log.exception("report %s: the attempt failed unexpectedly; it is retried next round", report_id)
    return done


def purge_preserved(db: Database) -> int:
    """Delete preservation records (and their files' bytes) past the preservation period; how many."""
    with db.writing() as session:
        purged = store.purge_preservations(session, utcnow())
        if purged:
            audit.record(session, None, "report.preservation_purged", count=purged)
    return purged


def preservation_records(db: Database, caller: Caller, report_id: int) -> list[dict[str, Any]]:
    """The preservation records of one of the org's reports."""
    with db.reading() as session:
        store.get_report(session, caller.org_id, report_id)
        return [
            {
                "file_name": p.file_name,
                "ncmec_report_id": p.ncmec_report_id,
                "reported_at": p.reported_at,
                "preserve_until": p.preserve_until,
                "hashes": p.hashes,
            }
            for p in store.preservations(session, caller.org_id, report_id)
        ]


# --- export ----------------------------------------------------------------------------------------------------


def export_zip(db: Database, settings: Settings, caller: Caller, report_id: int) -> bytes:
    """The report as a ZIP for manual filing: ``report.xml``, ``files/<n>.xml`` (each file's details) and
    ``manifest.json`` (the report's state and each file's name and hashes); audited."""
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id)
        files = store.report_files(session, report.id)
        document, details = _documents(session, report, files)
        manifest = {
            "report": report.id,
            "uploader_id": report.uploader_id,
            "status": report.status,
            "environment": report.environment,
            "ncmec_report_id": report.ncmec_report_id,
            "prior_ncmec_report_ids": _prior_ids(session, report),
            "files": [
                {
                    "id": f.id,
                    "file_name": f.file_name,
                    "hashes": f.hashes,
                    "viewed_by_esp": f.viewed_by_esp,
                    "publicly_available": f.publicly_available,
                    "original_url": f.original_url,
                    "classification": f.classification,
                    "details": f"files/{n:04d}.xml",
                }
                for n, f in enumerate(files, start=1)
            ],
        }
        _audit(session, caller, "report.export", target=f"report:{report_id}", count=len(files))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", document)
        for n, d in enumerate(details, start=1):
            archive.writestr(f"files/{n:04d}.xml", d)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    return buffer.getvalue()


# --- drafts from confirmed reviews ----------------------------------------------------------------------------

#: The longest uploader id a report holds (``reports.uploader_id``).
UPLOADER_CHARS = 200


def _review_file(session: Session, org_id: int, item: ReviewItem, check: ContentCheck) -> DraftFile:
    """A confirmed item's content as a report file: its id as the name, its fixed-length hashes, whether a person
    of the org viewed it, its URL and the classification the reviewer gave."""
    hashes: list[tuple[str, str]] = []
    for h in check.hashes:
        try:
            if get_hash_type(str(h["type"])).hex_chars is None:
                continue  # long values (a video's frames) stay local; its file digests go in the report
            checked = validate_hash(str(h["type"]), str(h["value"]), min_quality=0)
        except (SharedhashError, KeyError, LookupError):
            continue  # a hash type this node no longer knows: the other hashes describe the file
        hashes.append((checked.hash_type, checked.value))
    viewed = check.id in review_store.viewed_checks(session, org_id, [check.id])
    return DraftFile(
        file_name=check.content_id[:500],
        hashes=tuple(hashes[: limits.MAX_REPORT_FILE_HASHES]),
        viewed_by_esp=viewed,
        original_url=(check.url or "")[:2000],
        classification=item.classification or "",
        review_item_id=item.id,
    )


def draft_from_review(session: Session, caller: Caller, item: ReviewItem, check: ContentCheck) -> int | None:
    """Consequence of a confirmation, in the decision's transaction: the item's file joins the org's open draft
    about the content's uploader, or a new draft (a follow-up of the newest finished report about them, if any).
    The id of the draft; None when the content has no usable uploader id (a lead adds it to a draft by hand)."""
    uploader = (check.uploader_id or "").strip()
    target = f"review_item:{item.id}"
    if not uploader or len(uploader) > UPLOADER_CHARS:
        reason = "no uploader id" if not uploader else f"uploader id longer than {UPLOADER_CHARS} characters"
        _audit(session, caller, "report.not_drafted", target=target, detail={"reason": reason})
        return None
    store.lock_drafting(session, caller.org_id)
    already = store.items_in_reports(session, caller.org_id, [item.id])
    if item.id in already:
        return already[item.id]
    file = _review_file(session, caller.org_id, item, check)
    when = check.uploaded_at or check.created_at
    report = store.open_draft_of(session, caller.org_id, uploader)
    if report is None:
        followed = store.latest_finished_of(session, caller.org_id, uploader)
        report = draft_report(
            session,
            caller.org_id,
            uploader,
            [file],
            incident_time=when,
            follows_report_id=followed.id if followed is not None else None,
        )
        _audit(
            session,
            caller,
            "report.draft",
            target=f"report:{report.id}",
            count=1,
            detail={"from": target, "follows": report.follows_report_id},
        )
        return report.id
    store.append_files(session, report, _file_rows([file]))
    if when is not None and when < report.incident_time:
        report.incident_time = when
    report.updated_at = utcnow()
    _audit(session, caller, "report.add_item", target=f"report:{report.id}", detail={"item": item.id})
    return report.id


def undraft_item(session: Session, caller: Caller, item_id: int) -> int:
    """Consequence of reverting a confirmation, in the revert's transaction: the item's file leaves the drafts
    holding it (a draft left without files is retracted); a report already sent keeps it (audited, for a lead to
    follow up). How many drafts changed."""
    changed = 0
    for report, file in store.reports_of_item(session, caller.org_id, item_id):
        if report.status != ReportStatus.DRAFT.value:
            if report.status != ReportStatus.RETRACTED.value:
                _audit(
                    session,
                    caller,
                    "report.item_reverted_after_sending",
                    target=f"report:{report.id}",
                    detail={"item": item_id, "status": report.status},
                )
            continue
        store.delete_file(session, report, file.id)
        changed += 1
        now = utcnow()
        report.updated_at = now
        if store.file_count(session, report.id) == 0:
            report.status, report.retracted_at = ReportStatus.RETRACTED.value, now
        _audit(
            session,
            caller,
            "report.remove_item",
            target=f"report:{report.id}",
            detail={"item": item_id, "reason": "decision reverted", "retracted": report.status == "retracted"},
        )
    return changed


def add_item(db: Database, caller: Caller, report_id: int, item_id: int) -> None:
    """Add another confirmed review item of the org to a draft (audited). An item already in a report that is not
    retracted is refused (409), so no file is reported twice by mistake."""
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        _require(report, ReportStatus.DRAFT, "given files")
        found = store.confirmed_item(session, caller.org_id, item_id)
        if found is None:
            raise NotFoundError(f"no confirmed review item with id {item_id}")
        item, check = found
        holder = store.items_in_reports(session, caller.org_id, [item_id]).get(item_id)
        if holder is not None:
            raise ReportStateError(f"review item {item_id} is in report {holder} already")
        if store.file_count(session, report.id) >= limits.MAX_REPORT_FILES:
            raise LimitExceededError(f"a report holds at most {limits.MAX_REPORT_FILES} files")
        store.append_files(session, report, _file_rows([_review_file(session, caller.org_id, item, check)]))
        report.updated_at = utcnow()
        _audit(session, caller, "report.add_item", target=f"report:{report_id}", detail={"item": item_id})


def remove_file(db: Database, caller: Caller, report_id: int, file_id: int) -> None:
    """Take one file out of a draft (audited); the last file cannot be: retract the draft instead."""
    with db.writing() as session:
        report = store.get_report(session, caller.org_id, report_id, for_update=True)
        _require(report, ReportStatus.DRAFT, "edited")
        if store.file_count(session, report.id) <= 1:
            store.report_file(session, report.id, file_id)  # 404 first if it is not this report's file
            raise InvalidInputError(
                "a report needs at least one file", hint="Retract the draft instead of removing its last file."
            )
        removed = store.delete_file(session, report, file_id)
        report.updated_at = utcnow()
        _audit(
            session,
            caller,
            "report.remove_item",
            target=f"report:{report_id}",
            detail={"file": file_id, "item": removed.review_item_id},
        )


def candidates(db: Database, caller: Caller, report_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Confirmed review items of the org in no report (not retracted), the draft's uploader's first: what a lead
    may add to the draft."""
    with db.reading() as session:
        report = store.get_report(session, caller.org_id, report_id)
        rows = store.confirmed_items(session, caller.org_id, limit=limits.MAX_REPORT_PAGE)
        taken = store.items_in_reports(session, caller.org_id, [i.id for i, _ in rows])
        free = [(i, c) for i, c in rows if i.id not in taken]
        free.sort(key=lambda pair: pair[1].uploader_id != report.uploader_id)
        return [
            {
                "item_id": i.id,
                "content_id": c.content_id,
                "uploader_id": c.uploader_id,
                "classification": i.classification,
                "decided_at": i.decided_at,
            }
            for i, c in free[:limit]
        ]


def fill_from_platform(db: Database, settings: Settings, caller: Caller, report_id: int) -> list[str]:
    """Ask the org's pre-submit webhook now for the uploader's details (what :func:`submit` does first); the
    reported-person fields it filled (those a lead entered stay)."""
    filled = _ask_platform(db, settings, caller, report_id)
    if filled is None:
        with db.reading() as session:
            report = store.get_report(session, caller.org_id, report_id)
            _require(report, ReportStatus.DRAFT, "filled")
        raise ReportIncompleteError(
            "your org has no pre-submit webhook", hint="An admin sets `pre_submit_url` (PUT /v1/report-settings)."
        )
    return filled


#: Fetches a file's bytes from the platform by its URL (the review media proxy's rules: the org's allow-list).
Fetch = Callable[[str], bytes]


def fetch_files(db: Database, settings: Settings, caller: Caller, report_id: int, fetch: Fetch) -> list[str]:
    """Attach the bytes of a draft's files that have none from their platform URL (through ``fetch``); each must
    hash to the file's hashes (:func:`attach`). The problems of the files that could not be attached."""
    with db.reading() as session:
        report = store.get_report(session, caller.org_id, report_id)
        _require(report, ReportStatus.DRAFT, "given files")
        wanted = [(f.id, f.original_url) for f in store.report_files(session, report.id) if f.content_md5 is None]
    found: list[str] = []
    for file_id, url in wanted:
        if not url:
            found.append(f"file {file_id}: no URL to fetch it from; attach its bytes")
            continue
        try:
            attach(db, settings, caller, report_id, file_id, fetch(url))
        except SharedhashError as exc:
            found.append(f"file {file_id}: {exc.message}")
    return found


__all__ = ["DraftFile", "NotFoundError", "draft_report"]
