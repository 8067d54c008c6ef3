"""Rendering the review pages: one Jinja2 environment (autoescaping every value, so metadata with markup shows as
text), the static assets, and the HTML answer for errors (with their stable code)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from sharedhash.errors import SharedhashError
from sharedhash.server.accounts.errors import SessionRequiredError

#: Files under /ui/static/ (nothing else is served from the folder).
STATIC = {
    "htmx.min.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
#: Every page: not cached (they show what people decided), never in a frame.
NO_STORE = {"cache-control": "no-store"}
KEYS = [
    ("1", "confirm A1"),
    ("2", "confirm A2"),
    ("3", "confirm B1"),
    ("4", "confirm B2"),
    ("f", "false positive"),
    ("e", "escalate"),
    ("s", "skip"),
    ("v", "full size"),
    ("r", "hold to reveal"),
    ("n", "next"),
    ("p", "previous"),
    ("o", "only the matched frames (videos)"),
]


def _age(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = int((datetime.now(UTC) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates' environment (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("sharedhash.server.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["age"] = _age
    env.globals["keys"] = KEYS
    return env


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template."""
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def static_file(name: str) -> tuple[bytes, str] | None:
    """An asset's bytes and type, or None."""
    if name not in STATIC:
        return None
    return resources.files("sharedhash.server.ui").joinpath("static", name).read_bytes(), STATIC[name]


def see(url: str) -> RedirectResponse:
    """A redirect after a form (303: the browser follows with GET)."""
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


class UiRoute(APIRoute):
    """Pages answer errors as HTML with the error's code and status (not the API's JSON); no session: sign in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SessionRequiredError:
                return see("/ui/sign-in")
            except SharedhashError as exc:
                return render("error.html", exc.http_status, error=exc, who=None)
            except RequestValidationError as exc:
                where = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
                bad = SharedhashError(f"the form is incomplete or malformed ({where})")
                return render("error.html", 400, error=bad, code="invalid_form", who=None)

        return handler
