"""``/ui/``: the review pages. Sign in, the queue, an item with its media (blurred and greyscale by default) and
one key per decision, your wellness settings and second factor, and the admin's people and review settings.

Every form carries the session's CSRF token (the sign-in form a double-submit cookie); a forged one is refused and
recorded. Anything outside the person's org or role answers 404 (recorded by the services).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from sharedhash.errors import NotFoundError, SharedhashError
from sharedhash.server.accounts import service as accounts
from sharedhash.server.accounts.deps import COOKIE, MaybeSignedIn, SignedIn, client_address, secure_cookie
from sharedhash.server.accounts.errors import CsrfFailedError
from sharedhash.server.accounts.service import Who
from sharedhash.server.deps import IdPath, State
from sharedhash.server.review import service as review
from sharedhash.server.state import HubState
from sharedhash.server.transparency import service as dashboard_service
from sharedhash.server.ui.pages import NO_STORE, UiRoute, render, see, static_file
from sharedhash.store.models import Role

router = APIRouter(prefix="/ui", include_in_schema=False, route_class=UiRoute)
PRE_COOKIE = "sh_pre"
Text = Annotated[str, Form(max_length=2000)]
Csrf = Annotated[str, Form(max_length=200)]


def _checked(state: HubState, who: Who, token: str, request: Request) -> None:
    try:
        accounts.check_csrf(who, token)
    except CsrfFailedError:
        accounts.refuse_csrf(state.db, who, request.url.path)
        raise


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' own assets (htmx, the page script, the style sheet)."""
    found = static_file(name)
    if found is None:
        raise NotFoundError("no such file")
    content, media_type = found
    return Response(content, media_type=media_type, headers={"cache-control": "public, max-age=3600"})


@router.get("/")
def home(who: MaybeSignedIn) -> RedirectResponse:
    """The queue, or the sign-in page."""
    return see("/ui/queue" if who else "/ui/sign-in")


def _sign_in_page(request: Request, status: int = 200, error: SharedhashError | None = None) -> HTMLResponse:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    page = render("sign_in.html", status, who=None, csrf=pre, error=error)
    page.set_cookie(
        PRE_COOKIE, pre, httponly=True, samesite="strict", secure=secure_cookie(request), path="/ui/sign-in"
    )
    return page


@router.get("/sign-in")
def sign_in_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in(
    request: Request,
    state: State,
    login: Annotated[str, Form(max_length=400)],
    password: Annotated[str, Form(max_length=2000)],
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Csrf = "",
) -> Response:
    """Check the credentials; set the session cookie (HttpOnly, SameSite=Strict, Secure outside loopback)."""
    pre = request.cookies.get(PRE_COOKIE, "")
    if not pre or not secrets.compare_digest(pre.encode(), csrf.encode()):
        return _sign_in_page(request, 403, CsrfFailedError("the sign-in form is stale: reload the page"))
    try:
        token, _ = accounts.sign_in(
            state.db,
            state.settings,
            state.sign_ins,
            login=login,
            password=password,
            totp_code=code,
            address=client_address(request),
        )
    except SharedhashError as exc:
        return _sign_in_page(request, exc.http_status, exc)
    page = see("/ui/queue")
    page.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request),
        path="/",
        max_age=int(state.settings.review_session_max_seconds),
    )
    page.delete_cookie(PRE_COOKIE, path="/ui/sign-in")
    return page


@router.post("/sign-out")
def sign_out(request: Request, state: State, who: SignedIn, csrf: Csrf = "") -> RedirectResponse:
    """End the session."""
    _checked(state, who, csrf, request)
    accounts.sign_out(state.db, who)
    page = see("/ui/sign-in")
    page.delete_cookie(COOKIE, path="/")
    return page


@router.get("/queue")
def queue(state: State, who: SignedIn, empty: bool = False) -> HTMLResponse:
    """The open items of the queues the person works, and the button to start."""
    found = review.overview(state, who)
    return render("queue.html", who=who, overview=found, empty=empty)


@router.get("/queue/rows")
def queue_rows(state: State, who: SignedIn) -> HTMLResponse:
    """The queue's rows alone (htmx refreshes them)."""
    return render("queue_rows.html", who=who, overview=review.overview(state, who))


@router.post("/next")
def take_next(request: Request, state: State, who: SignedIn, csrf: Csrf = "") -> RedirectResponse:
    """Claim the next item and open it."""
    _checked(state, who, csrf, request)
    item_id = review.take_next(state, who)
    return see(f"/ui/items/{item_id}" if item_id else "/ui/queue?empty=true")


@router.get("/items/{item_id}")
def item(item_id: IdPath, state: State, who: SignedIn) -> HTMLResponse:
    """An item: why it matched, the content's metadata, the uploader's other matches, the media, the keys."""
    view = review.view_item(state, who, item_id)
    return render("item.html", who=who, view=view, wellness=who.setting, reasons=list(review.SkipReason))


@router.get("/items/{item_id}/media")
def media(
    request: Request,
    item_id: IdPath,
    state: State,
    who: SignedIn,
    size: Annotated[str, Query(max_length=8)] = "thumb",
) -> Response:
    """The item's media through the proxy or the quarantine store (thumbnail or full size); every view is recorded.
    A single byte range (``Range: bytes=START-[END]``, what a video player sends to seek) answers 206; a range that
    starts past 0 does not count toward the daily cap again."""
    wanted = _byte_range(request.headers.get("range"))
    shown = review.media(state, who, item_id, size, continued=wanted is not None and wanted[0] > 0)
    headers = {**NO_STORE, "x-robots-tag": "noindex", "accept-ranges": "bytes"}
    total = len(shown.content)
    if wanted is None:
        return Response(shown.content, media_type=shown.content_type, headers=headers)
    start, end = wanted[0], min(wanted[1] if wanted[1] is not None else total - 1, total - 1)
    if start >= total or end < start:
        return Response(b"", status_code=416, headers={**headers, "content-range": f"bytes */{total}"})
    return Response(
        shown.content[start : end + 1],
        status_code=206,
        media_type=shown.content_type,
        headers={**headers, "content-range": f"bytes {start}-{end}/{total}"},
    )


def _byte_range(header: str | None) -> tuple[int, int | None] | None:
    """``(start, end or None)`` of a single ``bytes=`` range; None for no range or one this route does not serve
    (several ranges, suffix ranges): the whole file is sent instead, as HTTP allows."""
    if not header:
        return None
    found = re.fullmatch(r"\s*bytes=(\d{1,15})-(\d{0,15})\s*", header)
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2)) if found.group(2) else None


@router.get("/items/{item_id}/frames/{index}")
def frame(item_id: IdPath, index: Annotated[int, Path(ge=0, le=1000)], state: State, who: SignedIn) -> Response:
    """One matched frame of a quarantined video, as a PNG (blurred by the page's CSS); every view is recorded."""
    shown = review.frame(state, who, item_id, index)
    return Response(shown.content, media_type=shown.content_type, headers={**NO_STORE, "x-robots-tag": "noindex"})


@router.post("/items/{item_id}/decide")
def decide(
    request: Request,
    item_id: IdPath,
    state: State,
    who: SignedIn,
    choice: Annotated[str, Form(max_length=40)],
    note: Text = "",
    csrf: Csrf = "",
) -> RedirectResponse:
    """Decide: ``confirmed:A1`` (A2, B1, B2), ``false_positive`` or ``escalated``; then the next item."""
    _checked(state, who, csrf, request)
    decision, _, classification = choice.partition(":")
    review.decide(state, who, item_id, decision, classification or None, note)
    return _after(state, who)


def _after(state: HubState, who: Who) -> RedirectResponse:
    item_id = review.take_next(state, who)
    return see(f"/ui/items/{item_id}" if item_id else "/ui/queue?empty=true")


@router.post("/items/{item_id}/skip")
def skip(
    request: Request,
    item_id: IdPath,
    state: State,
    who: SignedIn,
    reason: Annotated[str, Form(max_length=40)],
    csrf: Csrf = "",
) -> RedirectResponse:
    """Skip with a reason; then the next item."""
    _checked(state, who, csrf, request)
    review.skip(state, who, item_id, reason)
    return _after(state, who)


@router.post("/items/{item_id}/revert")
def revert(
    request: Request, item_id: IdPath, state: State, who: SignedIn, note: Text = "", csrf: Csrf = ""
) -> RedirectResponse:
    """A lead reverts a decision (audited); the item opens again in the lead queue."""
    _checked(state, who, csrf, request)
    review.revert(state, who, item_id, note)
    return see(f"/ui/items/{item_id}")


@router.get("/me")
def me(state: State, who: SignedIn) -> HTMLResponse:
    """The person's wellness settings and second factor."""
    secret = accounts.new_totp_secret()
    return render("me.html", who=who, wellness=who.setting, totp_secret=secret, totp_uri=accounts.totp_uri(who, secret))


@router.post("/me/wellness")
def wellness(
    request: Request,
    state: State,
    who: SignedIn,
    blur: Annotated[int, Form(ge=0, le=4)] = 3,
    reveal: Annotated[str, Form(max_length=8)] = "hold",
    greyscale: Annotated[str, Form(max_length=8)] = "",
    csrf: Csrf = "",
) -> RedirectResponse:
    """Save the wellness overrides."""
    _checked(state, who, csrf, request)
    accounts.set_wellness(state.db, who, blur=blur, greyscale=greyscale == "on", reveal=reveal)
    return see("/ui/me")


@router.post("/me/totp")
def totp(
    request: Request,
    state: State,
    who: SignedIn,
    secret: Annotated[str, Form(max_length=64)],
    code: Annotated[str, Form(max_length=20)],
    csrf: Csrf = "",
) -> RedirectResponse:
    """Turn on the second factor after a code of the new secret."""
    _checked(state, who, csrf, request)
    accounts.enable_totp(state.db, state.settings, who, secret, code)
    return see("/ui/me")


@router.get("/admin")
def admin(state: State, who: SignedIn) -> HTMLResponse:
    """People of the org and its review settings (admins only)."""
    accounts.require_role(state.db, who, Role.ADMIN, "/ui/admin")
    return render(
        "admin.html",
        who=who,
        people=accounts.list_people(state.db, who.org_id),
        settings=review.settings(state, who),
        invite=None,
    )


@router.post("/admin/invite")
def invite(
    request: Request,
    state: State,
    who: SignedIn,
    login: Annotated[str, Form(max_length=400)],
    role: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=400)] = "",
    csrf: Csrf = "",
) -> HTMLResponse:
    """Invite a person; the one-time link is shown once."""
    _checked(state, who, csrf, request)
    accounts.require_role(state.db, who, Role.ADMIN, "/ui/admin/invite")
    added = accounts.add_person(
        state.db, state.settings, who, org_id=who.org_id, login=login, role=role, display_name=name
    )
    link = f"{str(request.base_url).rstrip('/')}/ui/invite/{added.invite_token}"
    return render(
        "admin.html",
        who=who,
        people=accounts.list_people(state.db, who.org_id),
        settings=review.settings(state, who),
        invite={"login": added.login, "link": link},
    )


@router.post("/admin/people/{person_id}/{action}")
def person_action(
    request: Request, person_id: IdPath, action: str, state: State, who: SignedIn, csrf: Csrf = ""
) -> Response:
    """Disable, enable or reset a person of the org."""
    _checked(state, who, csrf, request)
    accounts.require_role(state.db, who, Role.ADMIN, f"/ui/admin/people/{person_id}/{action}")
    if action == "disable":
        accounts.disable(state.db, who, who.org_id, person_id)
    elif action == "enable":
        accounts.enable(state.db, who, who.org_id, person_id)
    elif action == "reset":
        token = accounts.reset(state.db, state.settings, who, who.org_id, person_id)
        link = f"{str(request.base_url).rstrip('/')}/ui/invite/{token}"
        return render(
            "admin.html",
            who=who,
            people=accounts.list_people(state.db, who.org_id),
            settings=review.settings(state, who),
            invite={"login": f"person {person_id}", "link": link},
        )
    else:
        raise NotFoundError("no such action")
    return see("/ui/admin")


@router.post("/admin/settings")
def admin_settings(
    request: Request,
    state: State,
    who: SignedIn,
    media_hosts: Annotated[str, Form(max_length=30000)] = "",
    daily_cap: Annotated[int, Form(ge=0, le=100000)] = 200,
    break_every: Annotated[int, Form(ge=0, le=100000)] = 25,
    decision_endpoint: Annotated[str, Form(max_length=100)] = "",
    quarantine: Annotated[str, Form(max_length=8)] = "",
    contribute_list: Annotated[str, Form(max_length=20, pattern=r"^\s*\d*\s*$")] = "",
    csrf: Csrf = "",
) -> RedirectResponse:
    """Save the org's review settings (an unticked quarantine box turns quarantine off; an empty list id turns
    automatic contribution off)."""
    _checked(state, who, csrf, request)
    review.update_settings(
        state,
        who,
        media_hosts=media_hosts.split(),
        daily_cap=daily_cap,
        break_every=break_every,
        decision_endpoint=decision_endpoint,
        quarantine_on=bool(quarantine),
        contribute_list_id=int(contribute_list) if contribute_list.strip() else None,
    )
    return see("/ui/admin")


@router.get("/invite/{token}")
def invite_page(token: str, state: State) -> HTMLResponse:
    """Choose a password with an invitation or reset link."""
    valid = accounts.invite_is_valid(state.db, token)
    return render("invite.html", 200 if valid else 404, who=None, token=token, valid=valid, error=None)


@router.post("/invite/{token}")
def accept(
    token: str,
    state: State,
    password: Annotated[str, Form(max_length=2000)],
    again: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Set the password (the link works once); then sign in. (No session yet: the token itself is the secret.)"""
    if password != again:
        return render("invite.html", 400, who=None, token=token, valid=True, error="the two passwords differ")
    try:
        accounts.accept_invite(state.db, token, password)
    except SharedhashError as exc:
        return render("invite.html", exc.http_status, who=None, token=token, valid=True, error=exc.message)
    return see("/ui/sign-in")


Days = Annotated[int, Query(ge=1, le=dashboard_service.MAX_DAYS)]


@router.get("/dashboard")
def dashboard(state: State, who: SignedIn, days: Days = 30) -> HTMLResponse:
    """The transparency dashboard (leads and admins): charts drawn by the server as SVG."""
    found = dashboard_service.dashboard(state, who, days)
    charts = [
        (title, dashboard_service.bars([(d.day, float(getattr(d, key) or 0)) for d in found.days]))
        for title, key in (
            ("Checks", "checks"),
            ("Matches", "matches"),
            ("Confirmed", "confirmed"),
            ("False positives", "false_positive"),
            ("Median minutes to decision", "median_minutes_to_decision"),
            ("Deterrence responses", "deterrence_responses"),
            ("Help-link clicks", "help_clicks"),
            ("Reports filed", "reports_filed"),
        )
    ]
    return render("dashboard.html", who=who, dashboard=found, charts=charts, days=days)


@router.get("/dashboard.json")
def dashboard_json(state: State, who: SignedIn, days: Days = 30) -> Response:
    """The dashboard's figures as JSON."""
    found = dashboard_service.dashboard(state, who, days)
    return JSONResponse(found.as_json(), headers=NO_STORE)


@router.get("/dashboard.csv")
def dashboard_csv(state: State, who: SignedIn, days: Days = 30) -> Response:
    """The dashboard's figures as CSV."""
    found = dashboard_service.dashboard(state, who, days)
    return Response(
        found.as_csv(),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "content-disposition": 'attachment; filename="sharedhash-dashboard.csv"'},
    )
