"""The review pages in Firefox (Debian's Firefox ESR over WebDriver BiDi, see :mod:`tests.support.bidi`): sign in,
see the queue, the media is blurred and greyscale by default, reveal it by holding R, decide with the keyboard;
no Content-Security-Policy violation on the way. Screenshots go under the test's output folder (and to
``SHAREDHASH_SCREENSHOTS`` when set)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.server.accounts import service as accounts
from sharedhash.store.db import open_database
from sharedhash.store.models import Feedback, MediaView, ReviewItem
from sharedhash.store.review import settings_for_update
from tests.support.bidi import firefox, firefox_path
from tests.support.live import start_server
from tests.support.review import PASSWORD, MediaServer, queued, review_settings
from tests.support.store import make_org

FILTER = "getComputedStyle(document.getElementById('media-el')).filter"


def test_review_in_firefox(tmp_path: Path, media_server: MediaServer) -> None:
    executable = firefox_path()
    if executable is None:
        pytest.skip("Firefox is not installed (apt-get install -y firefox-esr)")
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    settings = review_settings(tmp_path, url, review_media_allow_private=True)
    db = open_database(url)
    org = make_org(db, "quuxvid")
    accounts.add_person(
        db, settings, None, org_id=org.org_id, login="ann@quuxvid.test", role="moderator", password=PASSWORD
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
        with firefox(executable) as ff:
            ff.goto(f"{server.url}/ui/sign-in")
            ff.screenshot(shots / "firefox-sign-in.png")
            ff.type_into("input[name=login]", "ann@quuxvid.test")
            ff.type_into("input[name=password]", PASSWORD)
            ff.press("\ue007")  # Enter submits the form
            ff.wait_for("location.pathname === '/ui/queue'")
            assert ff.evaluate("document.querySelectorAll('table.queue tbody tr').length") == 2
            violations += ff.csp_violations()
            ff.screenshot(shots / "firefox-queue.png")

            ff.press("n")  # the highest priority first
            ff.wait_for(f"location.pathname === '/ui/items/{first.item_id}'")
            ff.wait_for("document.getElementById('media-el').naturalWidth > 0")
            ff.wait_for(f"{FILTER}.includes('blur(16px)')", timeout=5)
            shown = str(ff.evaluate(FILTER))
            assert "grayscale(1)" in shown
            assert "blur(16px)" in shown
            assert str(ff.evaluate("document.getElementById('keys').innerText")).count("confirm") == 4
            ff.screenshot(shots / "firefox-item-blurred.png")

            ff.key_down("r")  # hold to reveal, gradually
            ff.wait_for(f"['grayscale(0) blur(0px)', 'none'].includes({FILTER})", timeout=5)
            ff.screenshot(shots / "firefox-item-revealed.png")
            ff.key_up("r")
            ff.wait_for(f"{FILTER}.includes('blur(16px)')", timeout=5)

            ff.press("v")  # full size
            ff.wait_for("document.getElementById('media-el').src.includes('size=full')")
            ff.wait_for("document.getElementById('media-el').complete")
            violations += ff.csp_violations()
            ff.press("2")  # confirm A2; the next item opens
            ff.wait_for(f"location.pathname === '/ui/items/{second.item_id}'")
            ff.press("f")  # false positive
            ff.wait_for("location.pathname === '/ui/queue' && location.search === '?empty=true'")
            assert ff.evaluate("!!document.getElementById('queue-empty')")
            violations += ff.csp_violations()
            ff.screenshot(shots / "firefox-queue-done.png")
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
    if target := os.environ.get("SHAREDHASH_SCREENSHOTS"):
        for shot in shots.iterdir():
            shutil.copy(shot, Path(target) / f"review-{shot.name}")
