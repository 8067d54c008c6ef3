"""CORS for the public deterrence paths, so that a search box on a platform's own web page can call them.

Only the paths that need no API key get CORS headers: ``POST /v1/orgs/{org}/deterrence/check`` and
``.../check.html``, and ``GET /v1/deterrence/click/{token}``. Key-authenticated paths never do, so a browser page
can never use an API key across origins. Allowed origins come from ``SHAREDHASH_DETERRENCE_CORS_ORIGINS``
(comma-separated, or ``*``); requests send no credentials, and only the ``Content-Type`` request header is
allowed. A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin is answered
here with 204; from any other origin it gets ``403 cors_origin_not_allowed``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharedhash.errors import PermissionDeniedError
from sharedhash.server.asgi import error_response
from sharedhash.server.deterrence.fast import route_of

#: How long a browser may reuse a preflight answer (seconds).
PREFLIGHT_MAX_AGE = 600
_CLICK_PREFIX = "/v1/deterrence/click/"


def parse_origins(value: str) -> frozenset[str]:
    """The allowed origins of a setting: ``"*"``, or exact origins (``scheme://host[:port]``, any case)."""
    return frozenset(o.strip().rstrip("/").lower() for o in value.split(",") if o.strip())


def public_methods(path: str) -> str | None:
    """The methods a public deterrence path answers (``"POST"`` or ``"GET"``), or ``None`` for any other path."""
    route = route_of(path)
    if route is not None and route[0] is not None:
        return "POST"
    if path.startswith(_CLICK_PREFIX) and "/" not in path[len(_CLICK_PREFIX) :]:
        return "GET"
    return None


class CorsOriginNotAllowedError(PermissionDeniedError):
    """A preflight from an origin the hub does not allow."""

    code = "cors_origin_not_allowed"
    default_hint = "The hub's operator lists allowed origins in SHAREDHASH_DETERRENCE_CORS_ORIGINS."


class DeterrenceCors:
    """ASGI middleware: CORS on the public deterrence paths only (see the module docstring)."""

    def __init__(self, app: ASGIApp, origins: str) -> None:
        self.app = app
        self.origins = parse_origins(origins)
        self.any = "*" in self.origins

    def _allowed(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None``."""
        if self.any:
            return "*"
        return origin if origin.lower() in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = public_methods(scope["path"]) if self.origins and scope["type"] == "http" else None
        origin = _header(scope, b"origin") if methods is not None else None
        if methods is None or origin is None:
            await self.app(scope, receive, send)
            return
        allow = self._allowed(origin)
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await self._preflight(allow, methods)(scope, receive, send)
            return
        if allow is None:
            await self.app(scope, receive, send)  # the browser withholds the answer from the page
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = allow
                headers["Access-Control-Expose-Headers"] = "Retry-After"
                headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)

    @staticmethod
    def _preflight(allow: str | None, methods: str) -> Response:
        if allow is None:
            return error_response(
                CorsOriginNotAllowedError("this origin may not call the deterrence check from a browser")
            )
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": allow,
                "Access-Control-Allow-Methods": f"{methods}, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
                "Vary": "Origin",
            },
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
