""" "Show only the matched frames" in a real browser (Debian's Chromium through Playwright): a quarantined video's
item shows the matched seconds; `O` replaces the video with the matched frames, blurred and greyscale like the
media; a second's button loads the video, muted and paused, at that second."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sharedhash.server.accounts import service as accounts
from sharedhash.server.review import quarantine
from sharedhash.server.state import HubState
from sharedhash.store.db import open_database
from sharedhash.store.models import ContentCheck, ContentMatch, MediaView
from sharedhash.store.review import settings_for_update
from tests.support.chromium import ARGS, chromium_or_skip
from tests.support.live import start_server
from tests.support.review import PASSWORD, queued, review_settings
from tests.support.store import make_org
from tests.support.video_clips import write_clip


def _until(page: Any, function: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript function until it returns true (``wait_for_function`` evaluates strings with eval, which
    the pages' CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(function):
        assert time.monotonic() < deadline, f"timed out waiting for {function}"
        time.sleep(0.1)


def test_only_the_matched_frames_in_chromium(tmp_path: Path) -> None:
    sync_api, chromium = chromium_or_skip()
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    settings = review_settings(tmp_path, url)
    db = open_database(url)
    org = make_org(db, "quuxvid")
    accounts.add_person(
        db, settings, None, org_id=org.org_id, login="ann@quuxvid.test", role="moderator", password=PASSWORD
    )
    with db.writing() as s:
        settings_for_update(s, org.org_id).quarantine = True
    content = queued(db, org, n=1)
    with db.writing() as s:
        check = s.get(ContentCheck, content.check_id)
        assert check is not None
        check.content_type = "video"
        match = s.get(ContentMatch, content.match_id)
        assert match is not None
        match.details = {"query_seconds": [{"start": 0.5, "end": 1.5, "frames": 3}]}
    clip = write_clip(tmp_path / "clip.webm", frames=30, fps=10, width=64, height=48, codec="libvpx")
    quarantine.put(HubState(settings=settings, db=db), org, content.check_id, clip.read_bytes(), "video/webm")
    server = start_server(settings)
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"{server.url}/ui/sign-in")
                page.fill("input[name=login]", "ann@quuxvid.test")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/ui/queue")
                page.goto(f"{server.url}/ui/items/{content.item_id}")
                assert page.inner_text("#matched-seconds").split() == ["0.5", "s", "1.0", "s", "1.5", "s"]
                assert not page.is_visible("#frames")
                page.keyboard.press("o")  # only the matched frames
                _until(page, "() => [...document.querySelectorAll('#frames img')].every(i => i.naturalWidth > 0)")
                assert page.is_visible("#frames")
                assert not page.is_visible("#media")
                page.wait_for_timeout(1500)
                shown = str(page.eval_on_selector("#frames img", "el => getComputedStyle(el).filter"))
                assert "grayscale(1)" in shown
                assert "blur(16px)" in shown
                page.click("button[data-seek='1.0']")  # the video, at 1.0 s, muted and paused
                _until(page, "() => document.getElementById('media-el').currentTime === 1")
                state = page.eval_on_selector("#media-el", "v => [v.muted, v.paused, v.currentTime]")
                assert state == [True, True, 1]
            finally:
                browser.close()
    finally:
        server.stop()
    with db.reading() as s:
        sizes = sorted(v.size for v in s.scalars(select(MediaView)))
    db.dispose()
    assert sizes.count("frame") == 3  # each frame shown once
    assert "full" in sizes  # the video, for the seek (a player's range requests are each recorded too)
