"""``/docs`` and ``/redoc`` are served with their assets by the hub itself: an offline hub shows them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sharedhash.server.apidocs.routes import ASSETS
from tests.support.hub import Hub, make_settings
from tests.support.live import start_server

_URL = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_reference_only_the_hubs_own_assets(hub: Hub, page: str) -> None:
    html = hub.client.get(page)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    referenced = _URL.findall(html.text)
    assert referenced, "the page references no script or style"
    for url in referenced:
        assert url.startswith("/"), f"{page} references {url}, not a local URL"
        assert not url.startswith("//")
        if url != "/openapi.json":
            assert url.startswith("/docs/assets/")
            served = hub.client.get(url)
            assert served.status_code == 200, url
            assert served.content
            assert served.headers["content-type"] == ASSETS[url.rsplit("/", 1)[1]]
    assert "fonts.googleapis" not in html.text
    assert "cdn" not in html.text.lower()


def test_only_the_vendored_assets_are_served(hub: Hub) -> None:
    for name in ("routes.py", "README.md", "..%2Froutes.py", "x" * 65):
        answer = hub.client.get(f"/docs/assets/{name}")
        assert answer.status_code in (404, 422), name
        assert answer.json()["error"]["code"] in ("route_not_found", "invalid_request")
    # Their licences ship beside them.
    assets = Path(__file__).resolve().parents[2] / "src" / "sharedhash" / "server" / "apidocs" / "assets"
    assert {"swagger-ui.LICENSE", "swagger-ui.NOTICE", "redoc.LICENSE"} <= {p.name for p in assets.iterdir()}


def test_an_offline_browser_renders_the_docs(tmp_path: Path) -> None:
    """Chromium with every request outside the hub blocked still renders Swagger UI and ReDoc."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    server = start_server(make_settings(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}"))
    outside: list[str] = []
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            try:
                page = browser.new_page()

                def only_the_hub(route: object) -> None:
                    request = route.request  # type: ignore[attr-defined]
                    if request.url.startswith(server.url) or request.url.startswith("data:"):
                        route.continue_()  # type: ignore[attr-defined]
                    else:
                        outside.append(request.url)
                        route.abort()  # type: ignore[attr-defined]

                page.route("**/*", only_the_hub)
                page.goto(f"{server.url}/docs")
                page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
                assert "sharedhash hub" in page.inner_text(".swagger-ui .info .title")
                page.wait_for_selector(".opblock-summary-path[data-path='/v1/lookup']", timeout=20_000)
                page.goto(f"{server.url}/redoc")
                page.wait_for_selector("h1", timeout=20_000)
                assert "sharedhash hub" in page.inner_text("h1")
            finally:
                browser.close()
    finally:
        server.stop()
    # Both pages rendered with every outside request blocked. ReDoc's bundle still asks for its "API docs by
    # Redocly" footer logo from its CDN: a broken image offline, nothing the page needs.
    branding = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [u for u in outside if u != branding] == [], f"the docs pages tried to load {outside}"
