"""``/ui/reports``: the CyberTipline report pages of leads and admins. The list of the org's drafts and reports; one
report with its submission state (attempts, next attempt, last error, NCMEC ids and expiry, earlier reports); and,
for a draft, its fields, its files (remove one, add another confirmed review item, attach or fetch its bytes), the
platform's details (the pre-submit webhook), validation, submission to the org's CyberTipline environment, the ZIP
export and retraction.

Every action goes through :mod:`sharedhash.server.reports.service`, which audits it with the person's name. Every
form carries the session's CSRF token; moderators, and anyone asking for another org's report, get 404 (recorded).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from sharedhash.errors import InvalidInputError, LimitExceededError, NotFoundError, SharedhashError
from sharedhash.reports.model import Environment, IncidentType
from sharedhash.server.accounts import service as accounts
from sharedhash.server.accounts.deps import SignedIn
from sharedhash.server.accounts.errors import CsrfFailedError
from sharedhash.server.accounts.service import Who
from sharedhash.server.deps import IdPath, State
from sharedhash.server.reports import service as reports
from sharedhash.server.reports.schemas import ReportPatch
from sharedhash.server.review import media as proxy
from sharedhash.server.review import service as review
from sharedhash.server.state import HubState
from sharedhash.server.ui.pages import NO_STORE, UiRoute, render, see
from sharedhash.store.models import ReportStatus, Role

router = APIRouter(prefix="/ui/reports", include_in_schema=False, route_class=UiRoute)
Csrf = Annotated[str, Form(max_length=200)]
Lines = Annotated[str, Form(max_length=60000)]

#: What a finished action says on the report page (``?done=...``).
DONE = {
    "saved": "The draft is saved.",
    "added": "The item was added to the draft.",
    "removed": "The file was taken out of the draft.",
    "attached": "The file's bytes are attached (encrypted at rest).",
    "fetched": "Every file's bytes are attached.",
    "filled": "The platform's details were added to the empty fields.",
    "submitted": "The report was submitted.",
    "retracted": "The report was retracted.",
}


def _lead(state: HubState, who: Who, request: Request) -> None:
    """Leads and admins only: anyone else gets 404, recorded."""
    accounts.require_role(state.db, who, Role.LEAD, request.url.path)


def _checked(state: HubState, who: Who, token: str, request: Request) -> None:
    try:
        accounts.check_csrf(who, token)
    except CsrfFailedError:
        accounts.refuse_csrf(state.db, who, request.url.path)
        raise


def _short(value: str) -> str:
    """A hash as the pages show it: its first 8 characters."""
    return value[:8] + "…" if len(value) > 8 else value


def _page(
    state: HubState,
    who: Who,
    report_id: int,
    *,
    status: int = 200,
    done: str | None = None,
    error: SharedhashError | None = None,
    problems: list[str] | None = None,
    valid: bool | None = None,
) -> HTMLResponse:
    caller = reports.for_person(who)
    shown = reports.show(state.db, state.settings, caller, report_id)
    draft = shown["status"] == ReportStatus.DRAFT.value
    return render(
        "report.html",
        status,
        who=who,
        report=shown,
        draft=draft,
        candidates=reports.candidates(state.db, caller, report_id) if draft else [],
        incident_types=list(IncidentType),
        environments=list(Environment),
        short=_short,
        incident_local=shown["incident_time"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        done=DONE.get(done or ""),
        error=error,
        problems=problems or ((error.details.get("problems") or []) if error is not None else []),
        valid=valid,
        can_retract=shown["status"] not in (ReportStatus.FINISHED.value, ReportStatus.RETRACTED.value),
    )


def _acted(state: HubState, who: Who, report_id: int, done: str, action: Any) -> Response:
    """Run a report action: then the report page (303) with what was done, or the page with the refusal (its
    status and code); another org's report stays 404."""
    try:
        action()
    except NotFoundError:
        raise
    except SharedhashError as exc:
        return _page(state, who, report_id, status=exc.http_status, error=exc)
    return see(f"/ui/reports/{report_id}?done={done}")


@router.get("")
def report_list(
    request: Request,
    state: State,
    who: SignedIn,
    status: Annotated[ReportStatus | None, Query()] = None,
) -> HTMLResponse:
    """The org's drafts and reports, newest first (optionally one status)."""
    _lead(state, who, request)
    rows = reports.listing(state.db, state.settings, reports.for_person(who), status=status, limit=200)
    return render("reports.html", who=who, reports=rows, chosen=status, statuses=list(ReportStatus))


@router.get("/{report_id}")
def report_page(
    request: Request,
    report_id: IdPath,
    state: State,
    who: SignedIn,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """One report: its state and files; for a draft, the forms that edit it."""
    _lead(state, who, request)
    return _page(state, who, report_id, done=done)


@router.get("/{report_id}/state")
def report_state(request: Request, report_id: IdPath, state: State, who: SignedIn) -> HTMLResponse:
    """The submission state alone (the report page refreshes it with htmx while attempts run)."""
    _lead(state, who, request)
    shown = reports.show(state.db, state.settings, reports.for_person(who), report_id)
    return render("report_state.html", who=who, report=shown)


def _split(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/{report_id}/edit")
def edit(
    request: Request,
    report_id: IdPath,
    state: State,
    who: SignedIn,
    incident_type: Annotated[str, Form(max_length=200)],
    incident_time: Annotated[str, Form(max_length=40)],
    environment: Annotated[str, Form(max_length=20)],
    screen_name: Annotated[str, Form(max_length=2000)] = "",
    display_names: Lines = "",
    profile_urls: Lines = "",
    emails: Lines = "",
    esp_service: Annotated[str, Form(max_length=2000)] = "",
    additional_info: Annotated[str, Form(max_length=20000)] = "",
    csrf: Csrf = "",
) -> Response:
    """Save a draft's fields: incident type and time (UTC), environment, the reported person, additional info.
    IP capture events stay as they are (the pre-submit webhook or the API gives them)."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)

    def save() -> None:
        current = reports.show(state.db, state.settings, caller, report_id)
        try:
            when = datetime.fromisoformat(incident_time)
        except ValueError:
            raise InvalidInputError(f"incident time: {incident_time!r} is not a date and time") from None
        person = {
            "screen_name": screen_name.strip(),
            "display_names": _split(display_names),
            "profile_urls": _split(profile_urls),
            "emails": _split(emails),
            "ip_captures": current["reported_person"].get("ip_captures", []),
            "esp_service": esp_service.strip(),
        }
        raw = {
            "incident_type": incident_type,
            "incident_time": (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(),
            "environment": environment,
            "reported_person": person,
            "additional_info": additional_info,
        }
        try:
            patch = ReportPatch.model_validate_json(json.dumps(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInputError(f"{where}: {first['msg']}") from None
        assert patch.reported_person is not None
        reports.update(
            state.db,
            caller,
            report_id,
            None,
            incident_type=patch.incident_type,
            incident_time=patch.incident_time,
            environment=patch.environment,
            reported_person=patch.reported_person.model_dump(mode="json"),
            additional_info=patch.additional_info,
        )

    return _acted(state, who, report_id, "saved", save)


@router.post("/{report_id}/items")
def add_item(
    request: Request,
    report_id: IdPath,
    state: State,
    who: SignedIn,
    item_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    csrf: Csrf = "",
) -> Response:
    """Add another confirmed review item of the org to the draft."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)
    return _acted(state, who, report_id, "added", lambda: reports.add_item(state.db, caller, report_id, item_id))


@router.post("/{report_id}/files/{file_id}/remove")
def remove_file(
    request: Request, report_id: IdPath, file_id: IdPath, state: State, who: SignedIn, csrf: Csrf = ""
) -> Response:
    """Take a file out of the draft."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)
    return _acted(state, who, report_id, "removed", lambda: reports.remove_file(state.db, caller, report_id, file_id))


@router.post("/{report_id}/files/{file_id}/content")
async def attach(
    request: Request,
    report_id: IdPath,
    file_id: IdPath,
    state: State,
    who: SignedIn,
    content: Annotated[UploadFile, File()],
    csrf: Csrf = "",
) -> Response:
    """Attach a file's bytes from the person's computer; they must have the file's hashes."""
    from starlette.concurrency import run_in_threadpool

    _checked(state, who, csrf, request)
    await run_in_threadpool(_lead, state, who, request)
    data = await content.read(state.settings.max_file_bytes + 1)
    caller = reports.for_person(who)

    def put() -> None:
        if len(data) > state.settings.max_file_bytes:
            raise LimitExceededError(f"a reported file is at most {state.settings.max_file_bytes:,} bytes")
        reports.attach(state.db, state.settings, caller, report_id, file_id, data)

    answer: Response = await run_in_threadpool(_acted, state, who, report_id, "attached", put)
    return answer


def _fetcher(state: HubState, who: Who) -> reports.Fetch:
    """The platform's files through the review media proxy's rules (the org's allow-list, public addresses)."""
    hosts = list(review.settings(state, who).media_hosts or [])
    return lambda url: proxy.fetch(url, hosts, state.settings).content


def _fetch_all(state: HubState, who: Who, report_id: int) -> None:
    found = reports.fetch_files(state.db, state.settings, reports.for_person(who), report_id, _fetcher(state, who))
    if found:
        raise reports.ReportIncompleteError("some files have no bytes attached", problems=found)


@router.post("/{report_id}/fetch")
def fetch(request: Request, report_id: IdPath, state: State, who: SignedIn, csrf: Csrf = "") -> Response:
    """Attach the files' bytes from the platform's media URLs (the review media proxy's allow-list)."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    return _acted(state, who, report_id, "fetched", lambda: _fetch_all(state, who, report_id))


@router.post("/{report_id}/fill")
def fill(request: Request, report_id: IdPath, state: State, who: SignedIn, csrf: Csrf = "") -> Response:
    """Ask the platform's pre-submit webhook for the uploader's details now."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)
    return _acted(
        state, who, report_id, "filled", lambda: reports.fill_from_platform(state.db, state.settings, caller, report_id)
    )


@router.post("/{report_id}/validate")
def validate(request: Request, report_id: IdPath, state: State, who: SignedIn, csrf: Csrf = "") -> HTMLResponse:
    """Check the report against the CyberTipline schema; the page lists what is wrong, or says it is valid."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    found = reports.validate(state.db, reports.for_person(who), report_id)
    return _page(state, who, report_id, problems=found, valid=not found)


@router.post("/{report_id}/submit")
def submit(request: Request, report_id: IdPath, state: State, who: SignedIn, csrf: Csrf = "") -> Response:
    """Fetch the bytes still missing from the platform, then submit to the report's CyberTipline environment (the
    first attempt at once; later ones with back-off)."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)

    def go() -> None:
        shown = reports.show(state.db, state.settings, caller, report_id)
        if shown["status"] == ReportStatus.DRAFT.value and any(not f["has_content"] for f in shown["files"]):
            _fetch_all(state, who, report_id)
        reports.submit(state.db, state.settings, caller, report_id)

    return _acted(state, who, report_id, "submitted", go)


@router.post("/{report_id}/retract")
def retract(request: Request, report_id: IdPath, state: State, who: SignedIn, csrf: Csrf = "") -> Response:
    """Withdraw a draft or a report that is not finished (at NCMEC too if it is open there)."""
    _checked(state, who, csrf, request)
    _lead(state, who, request)
    caller = reports.for_person(who)
    return _acted(
        state, who, report_id, "retracted", lambda: reports.retract(state.db, state.settings, caller, report_id)
    )


@router.get("/{report_id}/export")
def export(request: Request, report_id: IdPath, state: State, who: SignedIn) -> Response:
    """The report as a ZIP for manual filing (report XML, each file's details, a manifest with hashes)."""
    _lead(state, who, request)
    data = reports.export_zip(state.db, state.settings, reports.for_person(who), report_id)
    return Response(
        data,
        media_type="application/zip",
        headers={**NO_STORE, "content-disposition": f'attachment; filename="report-{report_id}.zip"'},
    )
