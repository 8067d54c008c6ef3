"""Review test helpers: people of an org (signed in through the service), and content to review (a list entry,
a check of benign placeholder content, its match and its queue item, made directly with the models)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sharedhash.server.accounts import service as accounts
from sharedhash.server.accounts.service import Who
from sharedhash.server.app import create_app
from sharedhash.server.memory.throttle import SignInThrottle
from sharedhash.server.state import HubState
from sharedhash.settings import Settings
from sharedhash.store import review as review_store
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry
from sharedhash.store.lists import create_list
from sharedhash.store.models import ContentCheck, ContentMatch, Visibility, utcnow
from sharedhash.store.visibility import Caller
from tests.support.db import TestClient
from tests.support.store import entry, make_org, md5

PASSWORD = "correct horse zorblax staple"


def review_settings(tmp_path: Path, url: str, **overrides: object) -> Settings:
    """Settings for review tests (the secret key lives in the test's folder)."""
    return Settings(data_dir=tmp_path / "data", database_url=url, **overrides)  # type: ignore[arg-type]


def review_state(db: Database, tmp_path: Path, **overrides: object) -> HubState:
    """A hub state on the test database, for calling services directly."""
    return HubState(settings=review_settings(tmp_path, "sqlite://", **overrides), db=db)


def person(state: HubState, org: Caller, login: str, role: str = "moderator") -> Who:
    """Add a person with :data:`PASSWORD` and sign them in; the signed-in person."""
    accounts.add_person(state.db, state.settings, None, org_id=org.org_id, login=login, role=role, password=PASSWORD)
    _, who = accounts.sign_in(
        state.db, state.settings, SignInThrottle(), login=login, password=PASSWORD, totp_code="", address="test"
    )
    return who


@dataclass
class Content:
    """A queued piece of content: its item, check, match and the matched entry."""

    item_id: int
    check_id: int
    match_id: int
    entry_id: int
    list_id: int


def queued(
    db: Database,
    org: Caller,
    *,
    n: int,
    priority: int = 0,
    uploader: str | None = "uploader-7",
    url: str | None = None,
    age_seconds: float = 0,
    content_id: str | None = None,
    lst: int | None = None,
) -> Content:
    """A check of the org's content that matched an entry of one of its lists, queued for review."""
    with db.writing() as s:
        if lst is None:
            lst = create_list(s, org, f"known-{n}", visibility=Visibility.PRIVATE).id
        view, _ = add_entry(s, org, lst, entry(("md5", md5(n)), classification="A2"))
        entry_id = view.entry.id
        check = ContentCheck(
            org_id=org.org_id,
            idempotency_key=f"k{n}",
            content_id=content_id or f"upload-{n}",
            content_type="image",
            uploader_id=uploader,
            url=url,
            labels=["zorblax"],
            hashes=[{"type": "md5", "value": md5(n)}],
            matched=True,
            created_at=utcnow() - timedelta(seconds=age_seconds),
        )
        s.add(check)
        s.flush()
        match = ContentMatch(
            check_id=check.id,
            org_id=org.org_id,
            list_id=lst,
            entry_id=entry_id,
            hash_type="md5",
            distance=0,
            rule="review-known",
        )
        s.add(match)
        s.flush()
        item = review_store.add_item(s, org_id=org.org_id, check_id=check.id, match_id=match.id, priority=priority)
        item.created_at = utcnow() - timedelta(seconds=age_seconds)
        return Content(item.id, check.id, match.id, entry_id, lst)


def benign_png(size: int = 480) -> bytes:
    """A generated, benign test picture (coloured stripes)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), (240, 200, 40))
    draw = ImageDraw.Draw(image)
    for i in range(0, size, 48):
        draw.rectangle([i, 0, i + 20, size], fill=(30, 90, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class MediaServer:
    """A platform's media host on loopback: ``/media/<name>.png`` (a benign picture), ``/moved`` (a redirect),
    ``/page`` (HTML, not media); ``hits`` lists the paths asked for."""

    host: str
    port: int
    hits: list[str]

    def url(self, path: str) -> str:
        """A URL on this server."""
        return f"http://{self.host}:{self.port}{path}"


@pytest.fixture
def media_server() -> Iterator[MediaServer]:
    """A live media host serving a generated picture."""
    picture = benign_png()
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            hits.append(self.path)
            if self.path.startswith("/media/"):
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(picture)))
                self.end_headers()
                self.wfile.write(picture)
            elif self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
            else:
                body = b"<html>zorblax</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MediaServer("127.0.0.1", int(server.server_address[1]), hits)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class ReviewHub:
    """A review app (TestClient on loopback), its state, and orgs ``quuxvid`` and ``zorbnet``."""

    app: Any
    state: HubState
    settings: Settings
    orgs: dict[str, Caller]

    def client(self, base_url: str = "http://127.0.0.1") -> TestClient:
        """A new browser-like client (own cookies)."""
        return TestClient(self.app, base_url=base_url, raise_server_exceptions=False, follow_redirects=False)

    def add(self, org: str, login: str, role: str = "moderator") -> None:
        """A person with :data:`PASSWORD`."""
        accounts.add_person(
            self.state.db, self.settings, None, org_id=self.orgs[org].org_id, login=login, role=role, password=PASSWORD
        )

    def sign_in(self, login: str, base_url: str = "http://127.0.0.1") -> tuple[TestClient, str]:
        """A client signed in as ``login`` and its CSRF token."""
        client = self.client(base_url)
        page = client.get("/ui/sign-in")
        csrf = _csrf_of(page.text)
        answer = client.post("/ui/sign-in", data={"login": login, "password": PASSWORD, "csrf": csrf})
        assert answer.status_code == 303, answer.text
        queue = client.get("/ui/queue")
        assert queue.status_code == 200, queue.text
        return client, _csrf_of(queue.text)


def _csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


@pytest.fixture
def review_hub(database_url: str, tmp_path: Path) -> Iterator[ReviewHub]:
    """The app on a fresh database with two orgs; media from loopback allowed (the test media server)."""
    settings = review_settings(tmp_path, database_url, review_media_allow_private=True, index_follow_seconds=0.2)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False):
        state: HubState = app.state.hub
        orgs = {name: make_org(state.db, name) for name in ("quuxvid", "zorbnet")}
        yield ReviewHub(app=app, state=state, settings=settings, orgs=orgs)
