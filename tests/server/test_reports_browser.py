"""The report pages in a real browser (Debian's Chromium through Playwright): a lead signs in, confirms two items
with the keyboard, opens the draft report made from them, edits a field, submits it to the CyberTipline stand-in
(a real server thread of ``sharedhash.reports.standin``; the files' bytes fetched from the platform's media host)
and sees it finished; a moderator gets 404 on the report pages; no Content-Security-Policy violation on the way.
Screenshots of the report pages are written under the test's output folder (and to ``SHAREDHASH_SCREENSHOTS`` when
set, which is how docs/images/ is made)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sharedhash.reports.standin import StandIn
from sharedhash.reports.standin import State as RemoteState
from sharedhash.server.accounts import service as accounts
from sharedhash.store.db import open_database
from sharedhash.store.models import AuditEvent, Report, ReportFile
from sharedhash.store.review import settings_for_update
from tests.support.chromium import ARGS, chromium_or_skip, watch_csp
from tests.support.live import start_server
from tests.support.report_drafts import queued_file, reporting_org
from tests.support.review import PASSWORD, MediaServer, benign_png, review_settings
from tests.support.store import make_org


def _sign_in(page: Any, url: str, login: str) -> None:
    page.goto(f"{url}/ui/sign-in")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/queue")


def test_a_lead_drafts_edits_and_submits_a_report_in_chromium(
    tmp_path: Path, media_server: MediaServer, standin: StandIn
) -> None:
    sync_api, chromium = chromium_or_skip()
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    settings = review_settings(tmp_path, url, review_media_allow_private=True)
    db = open_database(url)
    org = make_org(db, "quuxvid")
    for login, role in (("lea@quuxvid.test", "lead"), ("ann@quuxvid.test", "moderator")):
        accounts.add_person(
            db, settings, None, org_id=org.org_id, login=login, role=role, password=PASSWORD, display_name=login[:3]
        )
    with db.writing() as s:
        settings_for_update(s, org.org_id).media_hosts = [f"{media_server.host}:{media_server.port}"]
    reporting_org(db, settings, org, standin)
    data = benign_png()
    first = queued_file(db, org, n=1, data=data, url=media_server.url("/media/1.png"))
    second = queued_file(db, org, n=2, data=data, url=media_server.url("/media/2.png"))
    shots = tmp_path / "screenshots"
    shots.mkdir()
    server = start_server(settings)
    violations: list[str] = []
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                watch_csp(page, violations)
                _sign_in(page, server.url, "lea@quuxvid.test")
                page.keyboard.press("n")
                page.wait_for_url(f"**/ui/items/{first.item_id}")
                page.keyboard.press("1")  # confirm A1; the next item opens
                page.wait_for_url(f"**/ui/items/{second.item_id}")
                page.keyboard.press("3")  # confirm B1
                page.wait_for_url("**/ui/queue?empty=true")

                page.click("header nav >> text=Reports")
                page.wait_for_url("**/ui/reports")
                rows = page.locator("tr.report-row")
                assert rows.count() == 1
                assert rows.first.get_attribute("data-status") == "draft"
                page.screenshot(path=str(shots / "list.png"), full_page=True)

                rows.first.locator("a").first.click()
                page.wait_for_selector("#edit-form")
                assert page.locator("tr.file-row").count() == 2
                assert page.locator("#report-status").inner_text() == "draft"
                page.fill("#screen-name", "zorblax-uploader-7")
                page.fill("#emails", "uploader-7@example.com")
                page.click("#save")
                page.wait_for_url("**?done=saved")
                assert page.locator("#screen-name").input_value() == "zorblax-uploader-7"
                page.screenshot(path=str(shots / "draft.png"), full_page=True)

                page.click("#submit")
                page.wait_for_url("**?done=submitted")
                deadline = time.monotonic() + 30
                while page.locator("#report-status").inner_text() != "finished":
                    assert time.monotonic() < deadline, page.locator("#submission").inner_text()
                    page.wait_for_timeout(500)
                    page.reload()
                assert page.locator("#ncmec-id").inner_text().isdigit()
                page.screenshot(path=str(shots / "finished.png"), full_page=True)

                moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                _sign_in(moderator, server.url, "ann@quuxvid.test")
                assert moderator.locator("header nav >> text=Reports").count() == 0
                report_path = page.url.split("?")[0]
                for path in (report_path, f"{server.url}/ui/reports"):
                    answer = moderator.goto(path)
                    assert answer is not None
                    assert answer.status == 404
                    assert moderator.locator("#error-code").inner_text() == "not_found"
            finally:
                browser.close()
    finally:
        server.stop()
    assert violations == []
    with db.reading() as s:
        (report,) = s.scalars(select(Report)).all()
        files = s.scalars(select(ReportFile).order_by(ReportFile.position)).all()
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    db.dispose()
    assert report.status == "finished"
    assert report.reported_person["screen_name"] == "zorblax-uploader-7"
    assert [(f.review_item_id, f.classification, f.viewed_by_esp) for f in files] == [
        (first.item_id, "A1", True),  # the lead saw the thumbnails on the item pages
        (second.item_id, "B1", True),
    ]
    remote = standin.app.reports[report.ncmec_report_id or 0]
    assert remote.state is RemoteState.FINISHED
    assert len(remote.files) == 2
    for action in ("report.draft", "report.add_item", "report.update", "report.attach", "report.submit"):
        assert action in actions
    assert actions.count("ui.refused") == 2
    assert {p.name for p in shots.iterdir()} == {"list.png", "draft.png", "finished.png"}
    if target := os.environ.get("SHAREDHASH_SCREENSHOTS"):
        for shot in shots.iterdir():
            shutil.copy(shot, Path(target) / f"report-{shot.name}")
