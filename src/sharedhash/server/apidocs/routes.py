"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), and their script and style files under ``/docs/assets/``.

The assets are vendored from the npm packages ``swagger-ui-dist`` 5.35.0 (Apache-2.0) and ``redoc`` 2.5.4 (MIT);
their licences are beside them in ``assets/`` (see ``assets/README.md``). Nothing is loaded from a CDN: the pages
reference only the hub's own URLs (Google Fonts off, the Swagger validator badge off)."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from sharedhash.hub_errors import RouteNotFoundError

router = APIRouter(include_in_schema=False)

ASSETS_PATH = "/docs/assets"
#: The only files served, and their media types: nothing else under the package is reachable.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
}
_CACHE = "public, max-age=86400"
_OPENAPI = "/openapi.json"
_TITLE = "sharedhash hub"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI: try the API from the browser."""
    return get_swagger_ui_html(
        openapi_url=_OPENAPI,
        title=f"{_TITLE} - Swagger UI",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc: the API reference on one page."""
    return get_redoc_html(
        openapi_url=_OPENAPI,
        title=f"{_TITLE} - ReDoc",
        redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_PATH + "/{name}")
def asset(name: Annotated[str, PathParam(max_length=64)]) -> Response:
    """One of the vendored files (cached by browsers for a day)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise RouteNotFoundError(f"no documentation asset {name[:64]!r}")
    body = files("sharedhash.server.apidocs").joinpath("assets", name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": _CACHE})
