"""The FastAPI app factory: routes, the standard error body for every failure, body limits, start and stop."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharedhash import __version__
from sharedhash.errors import InvalidInputError, LimitExceededError, SharedhashError
from sharedhash.hub_errors import (
    BusyError,
    InvalidTextError,
    MethodNotAllowedError,
    RequestValidationFailedError,
    RouteNotFoundError,
)
from sharedhash.limits import MAX_CHECK_BODY_BYTES
from sharedhash.server.act.batchfast import FastContentBatch
from sharedhash.server.act.fast import FastContentCheck
from sharedhash.server.asgi import error_response
from sharedhash.server.background import start_background
from sharedhash.server.bodies import parse_off_loop, stop_pools
from sharedhash.server.deps import clean_params
from sharedhash.server.deterrence.cors import DeterrenceCors
from sharedhash.server.deterrence.fast import FastDeterrence, route_of
from sharedhash.server.deterrence.service import DeterrenceService
from sharedhash.server.lookup.fast import FastLookup
from sharedhash.server.routers import ROUTERS
from sharedhash.server.schemas import ErrorOut
from sharedhash.server.security import BodyIdleTimeout, SecurityHeaders, install_access_log_redactor
from sharedhash.server.state import HubState
from sharedhash.settings import Settings, get_settings
from sharedhash.store.db import Database, database_url, is_busy_error, open_database

log = logging.getLogger(__name__)


def _validation_error(exc: RequestValidationError) -> SharedhashError:
    # Only where and what: the offending input is left out, as it may hold hash values.
    problems = [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": str(err.get("type"))}
        for err in exc.errors()[:20]
    ]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request", "type": ""}
    where = ".".join(first["loc"])
    # Text the hub may not store has its own code, whichever field it is in.
    kind = InvalidTextError if first["type"] == "invalid_text" else RequestValidationFailedError
    return kind(f"{where}: {first['msg']}", errors=problems)


def _http_error(exc: StarletteHTTPException) -> SharedhashError:
    if exc.status_code == 404:
        return RouteNotFoundError("no such route")
    if exc.status_code == 405:
        return MethodNotAllowedError("this route does not accept this HTTP method")
    if exc.status_code == 413:
        return LimitExceededError("the request body is too large")
    return InvalidInputError(str(exc.detail))


class BodyLimitMiddleware:
    """Refuse request bodies over the limit, by Content-Length at once or by counting a streamed body."""

    def __init__(self, app: ASGIApp, limit: int, import_limit: int, file_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.import_limit = import_limit
        #: ``/v1/lookup/file`` (videos are streamed to a temporary file; the endpoint checks its own limits) and a
        #: reported file's bytes (``/v1/reports/{id}/files/{file_id}/content``, at most ``max_file_bytes``).
        self.file_limit = limit if file_limit is None else max(limit, file_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.import_limit if path.endswith("/import") else self.limit
        if path.endswith("/lookup/file") or (path.startswith("/v1/reports/") and path.endswith("/content")):
            limit = self.file_limit
        elif route_of(path) is not None:
            limit = min(limit, MAX_CHECK_BODY_BYTES)  # deterrence checks are parsed on the loop: small bodies only
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = LimitExceededError(
            f"the request body is over the limit of {limit} bytes",
            hint="Split the request, or raise SHAREDHASH_MAX_REQUEST_BYTES / SHAREDHASH_MAX_IMPORT_BYTES.",
        )
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(too_large)(scope, receive, send)
            return
        seen = 0
        answered = False

        async def counting_receive() -> Message:
            # Over the limit while streaming: answer 413 here, at once, and tell the app the client went away
            # (whatever it then tries to answer is dropped), so every route and fast path answers the same 413.
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not answered:
                        answered = True
                        await error_response(too_large)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not answered:
                raise
            # The app's reaction to the "disconnect" (e.g. starlette's ClientDisconnect); the 413 has been sent.


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """The hub's ASGI app. It opens (and migrates) the configured database unless one is given."""
    settings = settings or get_settings()
    db = database or open_database(database_url(settings), checkpoint_in_background=True)
    state = HubState(settings=settings, db=db)
    deterrence = DeterrenceService(db, settings)
    # A list leaving an org's view stops deterring for it on the change's commit, not a refresh later (F9).
    state.caches.on_policy_change.append(deterrence.rules.invalidate)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threads = start_background(state, deterrence)
        redactor = install_access_log_redactor()
        try:
            yield
        finally:
            logging.getLogger("uvicorn.access").removeFilter(redactor)
            state.stop.set()
            for thread in threads:
                thread.join(timeout=10)
            stop_pools()
            if database is None:
                db.dispose()

    app = FastAPI(
        title="sharedhash hub",
        version=__version__,
        summary="Share hashes of known abuse material between platforms: contribute, look up, sync.",
        lifespan=lifespan,
        docs_url=None,  # served with local assets by sharedhash.server.apidocs
        redoc_url=None,
        dependencies=[Depends(clean_params)],
        responses={
            401: {"model": ErrorOut, "description": "No valid API key"},
            422: {"model": ErrorOut, "description": "The request does not match the schema"},
        },
    )
    app.state.hub = state
    app.state.deterrence = deterrence

    @app.exception_handler(SharedhashError)
    async def _sharedhash_error(_: Request, exc: SharedhashError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_exception(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(_http_error(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_busy_error(exc):  # the database at capacity under load: retry, not a failure (issue 18 F10)
            log.warning("database busy: %s", type(exc).__name__)
            return error_response(BusyError("the database is busy; retry shortly"))
        log.exception("unexpected error")
        return error_response(SharedhashError("internal error", hint="The hub logged the details; retry later."))

    for router in ROUTERS:
        parse_off_loop(router)  # large JSON bodies are parsed and validated in a worker thread (issue 18 F4)
        app.include_router(router)
    app.add_middleware(FastLookup, state=state)
    app.add_middleware(FastContentBatch, state=state)
    app.add_middleware(FastContentCheck, state=state)
    app.add_middleware(FastDeterrence, state=state, service=deterrence)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_request_bytes,
        import_limit=settings.max_import_bytes,
        file_limit=max(settings.max_file_bytes, settings.max_video_bytes) + 64 * 1024,  # + the multipart framing
    )
    app.add_middleware(BodyIdleTimeout, seconds=settings.body_idle_timeout_seconds)  # slow bodies: 408
    app.add_middleware(DeterrenceCors, origins=settings.deterrence_cors_origins)
    app.add_middleware(SecurityHeaders)
    return app
