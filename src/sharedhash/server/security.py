"""Headers every answer of the hub carries, and the one rule for ``Authorization`` headers (issue 18).

:class:`SecurityHeaders` is the outermost middleware, so the fast paths, the CORS answers and every error get the
same treatment:

- every answer: ``X-Content-Type-Options: nosniff`` (a browser never guesses a type, so no JSON or snippet runs
  as script), ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` (no answer is shown in a frame:
  no click-jacking), ``Referrer-Policy: no-referrer`` (help links and pages leak nothing in ``Referer``);
- every answer but the interactive API documentation: ``Content-Security-Policy: default-src 'none'``, so an
  answer opened in a browser can load and run nothing; ``/docs`` and ``/redoc`` load their own scripts; the
  review pages (``/ui/``) load only their own scripts, styles and proxied media (:data:`UI_CSP`);
- a request with more than one ``Authorization`` header is refused (400 ``duplicate_authorization``) before any
  part of the app reads one: a proxy and the hub must never disagree about which key a request carries.
"""

from __future__ import annotations

import asyncio
import logging
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharedhash.hub_errors import DuplicateAuthorizationError, RequestTimeoutError
from sharedhash.server.asgi import error_response

#: Paths whose pages load scripts and styles (FastAPI's interactive documentation): no ``default-src 'none'``.
DOC_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = "frame-ancestors 'none'"
#: The review pages (/ui/): their own scripts, styles and proxied media only; no inline script or style at all.
UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer; two ``Authorization`` headers refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        csp = DOCS_CSP if path in DOC_PATHS else UI_CSP if path.startswith("/ui/") else API_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                headers["content-security-policy"] = csp
            await send(message)

        if sum(1 for name, _ in scope.get("headers") or () if name == b"authorization") > 1:
            refused = DuplicateAuthorizationError("the request has more than one Authorization header")
            await error_response(refused)(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)


class BodyIdleTimeout:
    """ASGI middleware: a request body that pauses longer than ``seconds`` between two parts is answered 408
    ``request_timeout`` and the app is told the client went away (a slow client cannot hold a request, its
    worker and its spool open forever). Once the body is complete, waiting for the disconnect is not timed."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        complete = False
        answered = False

        async def timed_receive() -> Message:
            nonlocal complete, answered
            if complete or answered:
                return await receive() if not answered else {"type": "http.disconnect"}
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                answered = True
                late = RequestTimeoutError(f"no part of the request body came for {self.seconds:g} s")
                await error_response(late)(scope, receive, send)
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not answered:
                raise


def slow_client_protocol(header_seconds: float) -> type | None:
    """uvicorn's httptools protocol with a header timeout: a connection that has not sent a request's complete
    headers ``header_seconds`` after it opened (or after its previous answer) is closed. uvicorn itself never
    times a request's headers out, so one client sending a byte now and then held a connection forever (issue
    18). None without httptools (uvicorn then uses its own protocol, without this timeout)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return None

    class SlowClientProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport is not None and not self.transport.is_closing():
                self._arm()  # the next request's headers get the same time (the keep-alive timeout runs too)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return SlowClientProtocol


class AccessLogRedactor(logging.Filter):
    """What uvicorn's access log (``serve --access-log``) may write: never a full hash value, and nothing about
    who asked a deterrence check. A path segment after ``/hashes/<type>/`` (e.g. ``DELETE
    /v1/entries/7/hashes/pdq/<value>``) keeps its first 8 characters; deterrence paths lose the client address
    and any query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if "/hashes/" in path:
                path = _HASH_IN_PATH.sub(lambda m: m.group(1) + m.group(2)[:8] + "…", path)
                record.args = (args[0], args[1], path, *args[3:])
            if "/deterrence" in path:  # /v1/deterrence/... and the public /v1/orgs/{org}/deterrence/...
                record.args = ("-", args[1], path.split("?", 1)[0], *args[3:])
        return True


#: ``/hashes/<type>/<value>``: the value (up to the next ``/``, ``?`` or the end) of a path.
_HASH_IN_PATH = re.compile(r"(/hashes/[^/?]+/)([^/?]{9,})")


def install_access_log_redactor() -> AccessLogRedactor:
    """Add the redactor to uvicorn's access logger (remove it at shutdown)."""
    redactor = AccessLogRedactor()
    logging.getLogger("uvicorn.access").addFilter(redactor)
    return redactor
