"""``/v1/deterrence``: check search queries, click-through help links, settings and counters.

Nothing that reaches these routes is stored or logged: no query text, no client address (the access log shows
``-`` for the client of these paths). A check's only trace is a counter increment.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sharedhash.deterrence.explain import Explanation
from sharedhash.deterrence.explain import explain as explain_query
from sharedhash.errors import NotFoundError, RateLimitedError
from sharedhash.hub_errors import InvalidCheckRequestError
from sharedhash.limits import MAX_ORG_NAME_CHARS
from sharedhash.server.deps import Admin, Reader
from sharedhash.server.deterrence.answers import (
    NO_STORE,
    answer_html,
    answer_json,
    parse_check,
    public_allowed,
    rate_limited,
)
from sharedhash.server.deterrence.schemas import (
    CheckIn,
    CheckOut,
    DayOut,
    RuleCountOut,
    SettingsIn,
    SettingsOut,
    StatsOut,
)
from sharedhash.server.deterrence.service import CheckAnswer, DeterrenceService, catalog_to_dict
from sharedhash.store.models import Scope
from sharedhash.store.visibility import Caller

router = APIRouter(tags=["deterrence"])

_CHECK_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": CheckIn.model_json_schema()}}}
}
_PUBLIC_CHECK_BODY: dict[str, Any] = {**_CHECK_BODY, "security": []}  # OpenAPI: no API key needed
#: An org's name or id in a public check's path; a click token (far longer than any this hub hands out).
OrgRef = Annotated[str, Path(max_length=MAX_ORG_NAME_CHARS)]
_TOKEN_MAX = 200
_ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "Not a JSON object with a string query"}}


def service_of(request: Request) -> DeterrenceService:
    """The app's deterrence service."""
    service: DeterrenceService = request.app.state.deterrence
    return service


async def _read_check(request: Request) -> CheckIn:
    return parse_check(await request.body())


async def _answer(service: DeterrenceService, org_id: int, body: CheckIn, request: Request) -> tuple[CheckAnswer, Any]:
    # In the thread pool: an org's first check builds its matcher, and a first link is written to the database.
    return await run_in_threadpool(_answer_sync, service, org_id, body, str(request.base_url))


def _answer_sync(service: DeterrenceService, org_id: int, body: CheckIn, base_url: str) -> tuple[CheckAnswer, Any]:
    answer = service.check(org_id, body.query, body.locale, body.country)
    top = answer.result.top
    message = None
    if answer.message is not None and top is not None:
        message = service.with_links(org_id, top.rule.rule_id, answer.message, base_url)
    return answer, message


def _explain_allowed(caller: Caller, body: CheckIn) -> bool:
    if body.explain:
        caller.require(Scope.ADMIN)
    return body.explain


@router.post(
    "/v1/deterrence/check",
    response_model=CheckOut,
    summary="Check a search query",
    openapi_extra=_CHECK_BODY,
    responses=_ERRORS,
)
async def check(request: Request, caller: Reader) -> JSONResponse:
    """Whether to deter the query, and the message and help resources to show. Empty, over-long, binary or
    malformed queries are answered too (``deter`` false or true on what could be read, with ``notes``)."""
    body = await _read_check(request)
    explain = _explain_allowed(caller, body)
    service = service_of(request)
    answer, message = await _answer(service, caller.org_id, body, request)
    steps = await run_in_threadpool(_steps, service, caller.org_id, body.query) if explain else None
    return answer_json(answer, message, explain, steps)


def _steps(service: DeterrenceService, org_id: int, query: str) -> Explanation:
    """Explain mode: every reading's normalisation steps and the closest rules that did not fire."""
    return explain_query(service.rules.rules_for(org_id).matcher, query)


@router.post(
    "/v1/deterrence/check.html",
    response_class=HTMLResponse,
    summary="Check a search query; answer an HTML snippet",
    openapi_extra=_CHECK_BODY,
    responses=_ERRORS,
)
async def check_html(request: Request, caller: Reader) -> HTMLResponse:
    """The deterrence message as an escaped HTML snippet to embed beside search results; empty when not deterred."""
    body = await _read_check(request)
    _, message = await _answer(service_of(request), caller.org_id, body, request)
    return answer_html(message)


async def _public(request: Request, org: str) -> tuple[DeterrenceService, int, CheckIn]:
    service = service_of(request)
    known, found = service.public_org_cached(org)
    if not known:
        found = await run_in_threadpool(service.public_org, org)
    org_id = public_allowed(service, found, request.client.host if request.client else None)
    body = await _read_check(request)
    if body.explain:
        raise InvalidCheckRequestError('"explain" needs an admin API key; use /v1/deterrence/check')
    return service, org_id, body


async def _public_answer(request: Request, org: str) -> tuple[CheckAnswer, Any] | JSONResponse:
    """The answer to a public check, or the 429 response when the caller is over the limit."""
    try:
        service, org_id, body = await _public(request, org)
    except RateLimitedError as exc:
        return rate_limited(exc)
    return await _answer(service, org_id, body, request)


#: The public checks' answers beside the common errors.
_PUBLIC_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    404: {"description": "No such org, or public mode off"},
    429: {"description": "Over the limit"},
}


@router.post(
    "/v1/orgs/{org}/deterrence/check",
    response_model=CheckOut,
    summary="Public check of a search query (no API key; the org turns it on)",
    openapi_extra=_PUBLIC_CHECK_BODY,
    responses=_PUBLIC_ERRORS,
)
async def public_check(org: OrgRef, request: Request) -> JSONResponse:
    """Like ``/v1/deterrence/check`` for the org named ``org`` (or with that id), without an API key."""
    result = await _public_answer(request, org)
    if isinstance(result, JSONResponse):
        return result
    answer, message = result
    return answer_json(answer, message, False)


@router.post(
    "/v1/orgs/{org}/deterrence/check.html",
    response_class=HTMLResponse,
    summary="Public check; answer an HTML snippet",
    openapi_extra=_PUBLIC_CHECK_BODY,
    responses=_PUBLIC_ERRORS,
)
async def public_check_html(org: OrgRef, request: Request) -> Response:
    """Like ``/v1/deterrence/check.html`` for the org named ``org``, without an API key."""
    result = await _public_answer(request, org)
    if isinstance(result, JSONResponse):
        return result
    return answer_html(result[1])


@router.get(
    "/v1/deterrence/click/{token}",
    status_code=302,
    response_class=RedirectResponse,
    summary="Follow a help link (counted)",
    openapi_extra={"security": []},
    responses={404: {"description": "Unknown token, or no longer one of the org's help resources"}},
)
def click(token: Annotated[str, Path(max_length=_TOKEN_MAX)], request: Request) -> RedirectResponse:
    """Count a click on a help resource and redirect to it. Only a current help resource of the link's org can
    be the target, so this is no open redirect; the token says nothing about any query."""
    url = service_of(request).click(token)
    if url is None:
        raise NotFoundError("no such help link", hint="Help links change when the org edits its help resources.")
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def _settings_out(service: DeterrenceService, caller: Caller) -> SettingsOut:
    current = service.org_settings(caller.org_id)
    return SettingsOut(
        public=current.public,
        public_per_minute=current.public_per_minute,
        public_check_path=f"/v1/orgs/{quote(caller.org_name, safe='')}/deterrence/check",
        custom_catalog=current.custom_catalog,
        catalog=catalog_to_dict(current.catalog),
    )


@router.get("/v1/deterrence/settings", response_model=SettingsOut, summary="The org's deterrence settings")
def get_settings(request: Request, caller: Admin) -> SettingsOut:
    """Public mode, its rate, and the message catalog in use (the defaults until the org sets its own)."""
    return _settings_out(service_of(request), caller)


@router.put("/v1/deterrence/settings", response_model=SettingsOut, summary="Change the org's deterrence settings")
def put_settings(body: SettingsIn, request: Request, caller: Admin) -> SettingsOut:
    """Change public mode, its rate or the catalog (templates per language, help resources with https URLs)."""
    service = service_of(request)
    fields = body.model_fields_set
    service.update_settings(
        caller,
        public=body.public,
        public_per_minute=body.public_per_minute,
        catalog=body.catalog,
        reset_catalog="catalog" in fields and body.catalog is None,
        changed=sorted(fields),
    )
    return _settings_out(service, caller)


@router.get("/v1/deterrence/stats", response_model=StatsOut, summary="Deterrence counters")
def stats(
    request: Request,
    caller: Admin,
    days: Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")] = 30,
) -> StatsOut:
    """Per UTC day: checks, deterrence responses and help-link clicks, in total and per rule. Counts only."""
    service = service_of(request)
    rows = service.day_counts(caller.org_id, days)
    rules = service.rules.rules_for(caller.org_id)
    out: dict[Any, DayOut] = {}
    for row in rows:
        day = out.setdefault(row.day, DayOut(day=row.day, checks=0, responses=0, clicks=0, rules=[]))
        if row.rule_id == "":
            day.checks, day.responses, day.clicks = row.checks, row.responses, row.clicks
        else:
            rule = rules.rule(row.rule_id)
            day.rules.append(
                RuleCountOut(
                    rule_id=row.rule_id,
                    rule=rule.to_line() if rule is not None else None,
                    responses=row.responses,
                    clicks=row.clicks,
                )
            )
    return StatsOut(days=[out[d] for d in sorted(out)])
