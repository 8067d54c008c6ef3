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

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharedhash.hub_errors import DuplicateAuthorizationError
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
