"""The review pages in a real browser (Debian's Chromium through Playwright): sign in, see the queue, the media is
blurred and greyscale by default, reveal it by holding R, decide with the keyboard; no Content-Security-Policy
violation on the way. Screenshots of each page are written under the test's output folder (and to
``SHAREDHASH_SCREENSHOTS`` when set, which is how docs/images/ is made)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sharedhash.server.accounts import service as accounts
from sharedhash.store.db import open_database
from sharedhash.store.models import Feedback, MediaView, ReviewItem
from sharedhash.store.review import settings_for_update
from tests.support.chromium import ARGS, chromium_or_skip, watch_csp
from tests.support.live import start_server
from tests.support.review import PASSWORD, MediaServer, queued, review_settings
from tests.support.store import make_org


def _filter(page: Any) -> str:
    return str(page.eval_on_selector("#media-el", "el => getComputedStyle(el).filter"))


def test_review_in_chromium(tmp_path: Path, media_server: MediaServer) -> None:
    sync_api, chromium = chromium_or_skip()
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    settings = review_settings(tmp_path, url, review_media_allow_private=True)
    db = open_database(url)
    org = make_org(db, "quuxvid")
    accounts.add_person(
        db,
        settings,
        None,
        org_id=org.org_id,
        login="ann@quuxvid.test",
        role="moderator",
        password=PASSWORD,
        display_name="Ann",
    )
    accounts.add_person(
        db,
        settings,
        None,
        org_id=org.org_id,
        login="lea@quuxvid.test",
        role="admin",
        password=PASSWORD,
        display_name="Lea",
    )
    with db.writing() as s:
        settings_for_update(s, org.org_id).media_hosts = [f"{media_server.host}:{media_server.port}"]
    first = queued(db, org, n=1, priority=5, url=media_server.url("/media/1.png"), content_id="upload-1")
    second = queued(db, org, n=2, url=media_server.url("/media/2.png"), content_id="upload-2", age_seconds=60)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    server = start_server(settings)
    violations: list[str] = []
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                watch_csp(page, violations)
                page.goto(f"{server.url}/ui/sign-in")
                page.screenshot(path=str(shots / "sign-in.png"))
                page.fill("input[name=login]", "ann@quuxvid.test")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/ui/queue")
                assert page.locator("table.queue tbody tr").count() == 2
                page.screenshot(path=str(shots / "queue.png"))

                page.keyboard.press("n")  # start: the highest priority first
                page.wait_for_url(f"**/ui/items/{first.item_id}")
                page.wait_for_function("document.getElementById('media-el').naturalWidth > 0")
                page.wait_for_timeout(1500)
                shown = _filter(page)
                assert "grayscale(1)" in shown
                assert "blur(16px)" in shown
                assert page.locator("#keys").inner_text().count("confirm") == 4
                page.screenshot(path=str(shots / "item-blurred.png"), full_page=True)

                page.keyboard.down("r")  # hold to reveal, gradually
                page.wait_for_timeout(1600)
                assert _filter(page) in ("grayscale(0) blur(0px)", "none")
                page.screenshot(path=str(shots / "item-revealed.png"), full_page=True)
                page.keyboard.up("r")
                page.wait_for_timeout(1600)
                assert "blur(16px)" in _filter(page)

                with page.expect_response(lambda r: "size=full" in r.url) as full:
                    page.keyboard.press("v")
                assert full.value.status == 200
                page.keyboard.press("2")  # confirm A2, then the next item opens
                page.wait_for_url(f"**/ui/items/{second.item_id}")
                page.keyboard.press("f")  # false positive
                page.wait_for_url("**/ui/queue?empty=true")
                assert page.locator("#queue-empty").is_visible()
                page.screenshot(path=str(shots / "queue-done.png"))
                page.goto(f"{server.url}/ui/me")
                page.screenshot(path=str(shots / "settings.png"), full_page=True)

                admin = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
                admin.goto(f"{server.url}/ui/sign-in")
                admin.fill("input[name=login]", "lea@quuxvid.test")
                admin.fill("input[name=password]", PASSWORD)
                admin.click("button[type=submit]")
                admin.wait_for_url("**/ui/queue")
                admin.goto(f"{server.url}/ui/dashboard?days=14")
                assert admin.locator("svg rect").count() >= 7 * 14
                admin.screenshot(path=str(shots / "dashboard.png"), full_page=True)
                admin.goto(f"{server.url}/ui/admin")
                assert admin.locator("table.people tbody tr").count() == 2
                admin.screenshot(path=str(shots / "admin.png"), full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    assert violations == []
    with db.reading() as s:
        items = {i.id: (i.decision, i.classification) for i in s.scalars(select(ReviewItem))}
        verdicts = sorted((f.entry_id, f.verdict) for f in s.scalars(select(Feedback)))
        views = [(v.check_id, v.size) for v in s.scalars(select(MediaView).order_by(MediaView.id))]
    db.dispose()
    assert items == {first.item_id: ("confirmed", "A2"), second.item_id: ("false_positive", None)}
    assert verdicts == [(first.entry_id, "confirm"), (second.entry_id, "dispute")]
    assert (first.check_id, "thumb") in views
    assert (first.check_id, "full") in views
    assert {p.name for p in shots.iterdir()} >= {"sign-in.png", "queue.png", "item-blurred.png", "item-revealed.png"}
    if target := os.environ.get("SHAREDHASH_SCREENSHOTS"):
        for shot in shots.iterdir():
            shutil.copy(shot, Path(target) / f"review-{shot.name}")
