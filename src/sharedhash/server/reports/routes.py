"""``/v1/reports``, ``/v1/report-settings``, ``/v1/report-credentials``: an org admin drafts, edits, validates,
submits, retracts, lists and exports CyberTipline reports, and sets the org's reporter details and credentials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi import Path as PathParam

from sharedhash import limits
from sharedhash.errors import LimitExceededError
from sharedhash.reports.model import Environment
from sharedhash.server.deps import Admin, IdPath, State
from sharedhash.server.reports import service
from sharedhash.server.reports.schemas import (
    CredentialsIn,
    CredentialsOut,
    ReportFileIn,
    ReportIn,
    ReportOut,
    ReportPatch,
    ReportSettingsIn,
    ReportSettingsOut,
    ValidationOut,
)
from sharedhash.store.models import ReportStatus

router = APIRouter(prefix="/v1/reports", tags=["reports"])
settings_router = APIRouter(prefix="/v1/report-settings", tags=["reports"])
credentials_router = APIRouter(prefix="/v1/report-credentials", tags=["reports"])

EnvPath = Annotated[Environment, PathParam(description="The CyberTipline environment: test or production.")]


def _files(files: list[ReportFileIn]) -> list[service.DraftFile]:
    return [
        service.DraftFile(
            file_name=f.file_name,
            hashes=tuple((h.hash_type, h.value) for h in f.hashes),
            viewed_by_esp=f.viewed_by_esp,
            publicly_available=f.publicly_available,
            original_url=f.original_url,
            classification=f.classification,
        )
        for f in files
    ]


def _person(body: Any) -> dict[str, Any]:
    shown: dict[str, Any] = body.model_dump(mode="json")
    return shown


@settings_router.get("", response_model=ReportSettingsOut, summary="The org's reporter details")
def get_report_settings(state: State, caller: Admin) -> ReportSettingsOut:
    """The reporter details drafts are filled from, and the default CyberTipline environment."""
    return ReportSettingsOut(**service.get_settings_of(state.db, caller))


@settings_router.put("", response_model=ReportSettingsOut, summary="Set the org's reporter details")
def put_report_settings(body: ReportSettingsIn, state: State, caller: Admin) -> ReportSettingsOut:
    """Set the reporter (the org's contact person; company template, terms, legal URL), the default environment
    and the pre-submit webhook; its signing secret is in this answer only, when the webhook is first set."""
    secret = service.put_settings_of(
        state.db, state.settings, caller, _person(body.reporter), body.environment, body.pre_submit_url
    )
    return ReportSettingsOut(**service.get_settings_of(state.db, caller), pre_submit_secret=secret)


@credentials_router.get("", response_model=list[CredentialsOut], summary="The org's CyberTipline accounts")
def get_credentials(state: State, caller: Admin) -> list[CredentialsOut]:
    """One account per environment: URL and user name, never the password."""
    return [CredentialsOut(**c) for c in service.list_credentials(state.db, caller)]


@credentials_router.put("/{environment}", response_model=CredentialsOut, summary="Set a CyberTipline account")
def put_credentials(environment: EnvPath, body: CredentialsIn, state: State, caller: Admin) -> CredentialsOut:
    """Set the org's account for an environment; the password is encrypted at rest and never shown again."""
    shown = service.set_credentials(
        state.db, state.settings, caller, environment, body.username, body.password, body.url
    )
    return CredentialsOut(**shown)


@credentials_router.delete(
    "/{environment}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a CyberTipline account"
)
def delete_credentials(environment: EnvPath, state: State, caller: Admin) -> Response:
    """Forget the org's account for an environment."""
    service.remove_credentials(state.db, caller, environment)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("", response_model=ReportOut, status_code=status.HTTP_201_CREATED, summary="Draft a report")
def create_report(body: ReportIn, state: State, caller: Admin) -> ReportOut:
    """A draft report about one uploader, grouping the given files; the reporter comes from the org's settings."""
    report_id = service.create(
        state.db,
        caller,
        body.uploader_id,
        _files(body.files),
        incident_type=body.incident_type,
        incident_time=body.incident_time,
        reported_person=_person(body.reported_person),
        environment=body.environment,
        follows_report_id=body.follows_report_id,
        additional_info=body.additional_info,
    )
    return ReportOut(**service.show(state.db, state.settings, caller, report_id))


@router.get("", response_model=list[ReportOut], summary="The org's reports")
def list_reports(
    state: State,
    caller: Admin,
    status_: Annotated[ReportStatus | None, Query(alias="status")] = None,
    uploader_id: Annotated[str | None, Query(max_length=limits.MAX_REPORT_SHORT_CHARS)] = None,
    before: Annotated[int | None, Query(ge=1, le=limits.MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_REPORT_PAGE)] = 100,
) -> list[ReportOut]:
    """Newest first; filter by status or uploader; page with ``before`` (the last id of the previous page)."""
    rows = service.listing(
        state.db, state.settings, caller, status=status_, uploader_id=uploader_id, before=before, limit=limit
    )
    return [ReportOut(**r) for r in rows]


@router.get("/{report_id}", response_model=ReportOut, summary="One report")
def get_report(report_id: IdPath, state: State, caller: Admin) -> ReportOut:
    """A report with its files and its submission state (NCMEC ids, attempts, next attempt, last error)."""
    return ReportOut(**service.show(state.db, state.settings, caller, report_id))


@router.patch("/{report_id}", response_model=ReportOut, summary="Edit a draft")
def patch_report(report_id: IdPath, body: ReportPatch, state: State, caller: Admin) -> ReportOut:
    """Change a draft's fields; ``files`` replaces every file (their attached bytes too)."""
    service.update(
        state.db,
        caller,
        report_id,
        _files(body.files) if body.files is not None else None,
        incident_type=body.incident_type,
        incident_time=body.incident_time,
        environment=body.environment,
        reported_person=_person(body.reported_person) if body.reported_person is not None else None,
        additional_info=body.additional_info,
    )
    return ReportOut(**service.show(state.db, state.settings, caller, report_id))


@router.put(
    "/{report_id}/files/{file_id}/content",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Attach a file's bytes",
    openapi_extra={
        "requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def put_content(report_id: IdPath, file_id: IdPath, request: Request, state: State, caller: Admin) -> Response:
    """The file's bytes (the request body), encrypted at rest; they must match the draft's MD5/SHA-1/SHA-256."""
    from starlette.concurrency import run_in_threadpool

    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > state.settings.max_file_bytes:
            raise LimitExceededError(f"a reported file is at most {state.settings.max_file_bytes:,} bytes")
    await run_in_threadpool(service.attach, state.db, state.settings, caller, report_id, file_id, bytes(data))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{report_id}/validate", response_model=ValidationOut, summary="Validate a report")
def validate_report(report_id: IdPath, state: State, caller: Admin) -> ValidationOut:
    """Check the report's XML and each file's details against the CyberTipline schema."""
    found = service.validate(state.db, caller, report_id)
    return ValidationOut(valid=not found, problems=found)


@router.post("/{report_id}/submit", response_model=ReportOut, summary="Submit a report")
def submit_report(report_id: IdPath, state: State, caller: Admin) -> ReportOut:
    """Queue the report and make the first attempt at once; failed attempts are retried with back-off."""
    return ReportOut(**service.submit(state.db, state.settings, caller, report_id))


@router.post("/{report_id}/retract", response_model=ReportOut, summary="Retract a report")
def retract_report(report_id: IdPath, state: State, caller: Admin) -> ReportOut:
    """Withdraw a report that is not finished (retracting it at NCMEC if it is open there)."""
    return ReportOut(**service.retract(state.db, state.settings, caller, report_id))


@router.get(
    "/{report_id}/export",
    summary="Export a report as ZIP",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_report(report_id: IdPath, state: State, caller: Admin) -> Response:
    """``report.xml``, each file's details and ``manifest.json`` (names and hashes), for manual filing."""
    data = service.export_zip(state.db, state.settings, caller, report_id)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="report-{report_id}.zip"'},
    )
