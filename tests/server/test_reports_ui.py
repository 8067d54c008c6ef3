"""Draft reports from confirmed reviews and the report pages (/ui/reports) over HTTP: one draft per uploader, filled
from the org's settings and the platform's pre-submit webhook; a lead edits it (fields, files), validates, submits
it to the CyberTipline stand-in (the files' bytes fetched from the platform through the media proxy), exports and
retracts; a revert takes an item out; follow-ups name the earlier report; every action audited with the person;
moderators and other orgs get 404; forged CSRF tokens and bad fields are refused and change nothing."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from sqlalchemy import select

from sharedhash.reports.standin import StandIn
from sharedhash.server.reports import service as reports
from sharedhash.server.review import service as review
from sharedhash.store.models import AuditEvent, Report, ReportFile
from sharedhash.store.review import settings_for_update
from tests.support.report_drafts import queued_file, reporting_org
from tests.support.reports import PlatformHook
from tests.support.review import MediaServer, ReviewHub, benign_png, person, queued


def _actions(hub: ReviewHub, prefix: str) -> list[AuditEvent]:
    with hub.state.db.reading() as s:
        stmt = select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
        return list(s.scalars(stmt))


def _reports(hub: ReviewHub) -> list[tuple[Report, list[ReportFile]]]:
    with hub.state.db.reading() as s:
        out = []
        for r in s.scalars(select(Report).order_by(Report.id)):
            files = list(
                s.scalars(select(ReportFile).where(ReportFile.report_id == r.id).order_by(ReportFile.position))
            )
            out.append((r, files))
        return out


def _allow_media(hub: ReviewHub, media_server: MediaServer) -> None:
    with hub.state.db.writing() as s:
        settings_for_update(s, hub.orgs["quuxvid"].org_id).media_hosts = [f"{media_server.host}:{media_server.port}"]


def test_confirmations_make_one_draft_per_uploader_filled_from_the_org(review_hub: ReviewHub) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org)
    ann = person(state, org, "ann")
    a = queued(state.db, org, n=1, uploader="uploader-7")
    b = queued(state.db, org, n=2, uploader="uploader-7")
    c = queued(state.db, org, n=3, uploader="uploader-8")
    d = queued(state.db, org, n=4, uploader="uploader-8")
    e = queued(state.db, org, n=5, uploader=None)
    review.decide(state, ann, a.item_id, "confirmed", "A1")
    review.decide(state, ann, b.item_id, "confirmed", "B2")
    review.decide(state, ann, c.item_id, "confirmed", "A2")
    review.decide(state, ann, d.item_id, "false_positive")
    review.decide(state, ann, e.item_id, "confirmed", "A1")
    drafts = _reports(review_hub)
    assert [(r.uploader_id, r.status, [f.review_item_id for f in files]) for r, files in drafts] == [
        ("uploader-7", "draft", [a.item_id, b.item_id]),
        ("uploader-8", "draft", [c.item_id]),
    ]
    first, files = drafts[0]
    assert [f.classification for f in files] == ["A1", "B2"]
    assert [f.file_name for f in files] == ["upload-1", "upload-2"]
    assert files[0].hashes[0]["hash_type"] == "md5"
    assert files[0].viewed_by_esp is False  # nobody opened the media
    assert first.reporter["person"]["emails"] == ["reports@example.org"]
    assert first.follows_report_id is None
    # Audited with the person who confirmed; the content without an uploader is recorded, not drafted.
    drafted = _actions(review_hub, "report.draft")
    assert [(e.detail["login"], e.detail["from"]) for e in drafted] == [
        ("ann", f"review_item:{a.item_id}"),
        ("ann", f"review_item:{c.item_id}"),
    ]
    (skipped,) = _actions(review_hub, "report.not_drafted")
    assert skipped.detail["reason"] == "no uploader id"
    confirmed = [ev.detail.get("report") for ev in _actions(review_hub, "review.confirmed")]
    assert confirmed == [first.id, first.id, drafts[1][0].id, None]


def test_a_revert_takes_the_item_out_of_its_draft(review_hub: ReviewHub) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    lea = person(state, org, "lea", role="lead")
    a = queued(state.db, org, n=1)
    b = queued(state.db, org, n=2)
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    review.decide(state, lea, b.item_id, "confirmed", "A2")
    review.revert(state, lea, a.item_id)
    ((report, files),) = _reports(review_hub)
    assert [f.review_item_id for f in files] == [b.item_id]
    review.revert(state, lea, b.item_id)
    ((report, files),) = _reports(review_hub)
    assert files == []
    assert report.status == "retracted"  # nothing left to report
    assert [ev.detail["retracted"] for ev in _actions(review_hub, "report.remove_item")] == [False, True]
    # Confirmed again: a new draft.
    review.decide(state, lea, b.item_id, "confirmed", "B1")
    assert [(r.status, [f.review_item_id for f in fs]) for r, fs in _reports(review_hub)] == [
        ("retracted", []),
        ("draft", [b.item_id]),
    ]


def test_a_lead_edits_a_draft_and_bad_input_changes_nothing(review_hub: ReviewHub) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org)
    lea = person(state, org, "lea", role="lead")
    a = queued(state.db, org, n=1, uploader="uploader-7")
    b = queued(state.db, org, n=2, uploader="uploader-9")
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    review.decide(state, lea, b.item_id, "confirmed", "A2")
    (draft_a, _), (draft_b, _) = _reports(review_hub)
    client, csrf = review_hub.sign_in("lea")
    listing = client.get("/ui/reports")
    assert listing.status_code == 200
    assert listing.text.count('class="report-row"') == 2
    page = client.get(f"/ui/reports/{draft_a.id}")
    assert page.status_code == 200
    assert 'id="edit-form"' in page.text
    assert f"#{b.item_id} · upload-2" not in page.text  # in the other draft: not offered

    form: dict[str, Any] = {
        "csrf": csrf,
        "incident_type": "Child Pornography (possession, manufacture, and distribution)",
        "incident_time": "2026-11-30T08:15:00",
        "environment": "test",
        "screen_name": "zorblax-screen",
        "emails": "one@example.com\ntwo@example.com\n",
        "display_names": "Zorblax Example",
        "additional_info": "<script>alert(1)</script>",
    }
    answer = client.post(f"/ui/reports/{draft_a.id}/edit", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/ui/reports/{draft_a.id}?done=saved"
    shown = client.get(answer.headers["location"]).text
    assert "The draft is saved." in shown
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    with state.db.reading() as s:
        saved = s.get(Report, draft_a.id)
        assert saved is not None
        assert saved.reported_person["screen_name"] == "zorblax-screen"
        assert saved.reported_person["emails"] == ["one@example.com", "two@example.com"]
        assert saved.incident_time.isoformat().startswith("2026-11-30T08:15:00")
    (edit,) = _actions(review_hub, "report.update")
    assert edit.detail["login"] == "lea"

    # Bad fields: a clear error on the page, nothing saved.
    for bad, code in (
        ({"emails": "not an email"}, "invalid_input"),
        ({"incident_time": "yesterday"}, "invalid_input"),
        ({"incident_type": "zorblax"}, "invalid_input"),
        ({"screen_name": "zorblax\x07"}, "invalid_input"),
    ):
        answer = client.post(f"/ui/reports/{draft_a.id}/edit", data={**form, **bad})
        assert answer.status_code == 400, bad
        assert f'<code id="error-code">{code}</code>' in answer.text
    # A forged token: refused, recorded, nothing changed.
    answer = client.post(f"/ui/reports/{draft_a.id}/edit", data={**form, "csrf": "zorblax", "screen_name": "x"})
    assert answer.status_code == 403
    assert "csrf_failed" in answer.text
    with state.db.reading() as s:
        kept = s.get(Report, draft_a.id)
        assert kept is not None
        assert kept.reported_person["screen_name"] == "zorblax-screen"
    assert _actions(review_hub, "ui.csrf_refused")

    # Files: add the other uploader's item, remove one, the last one cannot go.
    answer = client.post(f"/ui/reports/{draft_a.id}/items", data={"csrf": csrf, "item_id": str(b.item_id)})
    assert answer.status_code == 409  # it is in draft_b already
    assert "report_state" in answer.text
    answer = client.post(f"/ui/reports/{draft_b.id}/retract", data={"csrf": csrf})
    assert answer.status_code == 303
    assert f"#{b.item_id} · upload-2" in client.get(f"/ui/reports/{draft_a.id}").text  # now offered
    answer = client.post(f"/ui/reports/{draft_a.id}/items", data={"csrf": csrf, "item_id": str(b.item_id)})
    assert answer.headers["location"].endswith("?done=added")
    files = {f.review_item_id: f.id for f in _reports(review_hub)[0][1]}
    assert set(files) == {a.item_id, b.item_id}
    answer = client.post(f"/ui/reports/{draft_a.id}/files/{files[a.item_id]}/remove", data={"csrf": csrf})
    assert answer.headers["location"].endswith("?done=removed")
    answer = client.post(f"/ui/reports/{draft_a.id}/files/{files[b.item_id]}/remove", data={"csrf": csrf})
    assert answer.status_code == 400
    assert "Retract the draft instead" in answer.text
    assert [f.review_item_id for f in _reports(review_hub)[0][1]] == [b.item_id]
    # An item that is not confirmed, or of another org: 404.
    other = queued(state.db, review_hub.orgs["zorbnet"], n=9)
    for item_id in (other.item_id, a.item_id + 1000):
        answer = client.post(f"/ui/reports/{draft_a.id}/items", data={"csrf": csrf, "item_id": str(item_id)})
        assert answer.status_code == 404
    actions = [e.action for e in _actions(review_hub, "report.")]
    assert actions.count("report.add_item") == 1
    assert actions.count("report.remove_item") == 1
    assert "report.retract" in actions


def test_submit_fetches_the_bytes_finishes_and_a_follow_up_names_it(
    review_hub: ReviewHub, media_server: MediaServer, standin: StandIn
) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org, standin)
    _allow_media(review_hub, media_server)
    lea = person(state, org, "lea", role="lead")
    data = benign_png()
    a = queued_file(state.db, org, n=1, data=data, url=media_server.url("/media/1.png"))
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    ((draft, _),) = _reports(review_hub)
    client, csrf = review_hub.sign_in("lea")
    valid = client.post(f"/ui/reports/{draft.id}/validate", data={"csrf": csrf})
    assert 'id="valid"' in valid.text
    answer = client.post(f"/ui/reports/{draft.id}/submit", data={"csrf": csrf})
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    assert 'id="report-status">finished<' in page
    assert "hx-get" not in page.split('id="state"')[1].split(">")[0]  # finished: nothing left to refresh
    ((report, files),) = _reports(review_hub)
    assert report.status == "finished"
    assert report.ncmec_report_id in standin.app.reports
    assert files[0].content_md5 is not None
    assert "/media/1.png" in media_server.hits
    assert [e.detail["login"] for e in _actions(review_hub, "report.submit")] == ["lea"]
    assert [e.action for e in _actions(review_hub, "report.attach")] == ["report.attach"]

    export = client.get(f"/ui/reports/{report.id}/export")
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert names == ["report.xml", "files/0001.xml", "manifest.json"]
    finished = client.post(f"/ui/reports/{report.id}/retract", data={"csrf": csrf})
    assert finished.status_code == 409
    assert "report_state" in finished.text

    # The uploader's next confirmed file: a new draft that follows the finished report.
    b = queued_file(state.db, org, n=2, data=data, url=media_server.url("/media/2.png"))
    review.decide(state, lea, b.item_id, "confirmed", "B1")
    _, (follow_up, _) = _reports(review_hub)
    assert follow_up.follows_report_id == report.id
    page = client.get(f"/ui/reports/{follow_up.id}").text
    assert f'id="follows">report #{report.id}<' in page
    assert f'<dd id="prior">{report.ncmec_report_id}</dd>' in page
    day = client.get("/ui/dashboard.json?days=1").json()["days"][-1]
    assert day["reports_filed"] == 1
    assert "Reports filed per day" in client.get("/ui/dashboard?days=1").text


def test_a_submission_without_bytes_or_credentials_says_why(
    review_hub: ReviewHub, media_server: MediaServer, standin: StandIn
) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org)  # no credentials
    lea = person(state, org, "lea", role="lead")
    a = queued_file(state.db, org, n=1, data=b"zorblax other bytes", url=media_server.url("/media/1.png"))
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    ((draft, _),) = _reports(review_hub)
    client, csrf = review_hub.sign_in("lea")
    # The media host is not on the org's allow-list.
    answer = client.post(f"/ui/reports/{draft.id}/fetch", data={"csrf": csrf})
    assert answer.status_code == 400
    assert "report_incomplete" in answer.text
    assert "not on your org" in answer.text or "allow" in answer.text
    _allow_media(review_hub, media_server)
    # The platform's file does not have the hashes the check gave: refused, nothing attached.
    answer = client.post(f"/ui/reports/{draft.id}/submit", data={"csrf": csrf})
    assert answer.status_code == 400
    assert "do not have the md5" in answer.text
    ((report, files),) = _reports(review_hub)
    assert report.status == "draft"
    assert files[0].content_md5 is None
    # The right bytes, attached by hand; still no credentials.
    answer = client.post(
        f"/ui/reports/{draft.id}/files/{files[0].id}/content",
        data={"csrf": csrf},
        files={"content": ("upload-1.png", b"zorblax other bytes", "application/octet-stream")},
    )
    assert answer.headers["location"].endswith("?done=attached")
    answer = client.post(f"/ui/reports/{draft.id}/submit", data={"csrf": csrf})
    assert answer.status_code == 400
    assert "no CyberTipline credentials" in answer.text
    assert _reports(review_hub)[0][0].status == "draft"


def test_the_state_refreshes_itself_while_a_submission_is_retried(
    review_hub: ReviewHub, media_server: MediaServer, standin: StandIn
) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org, standin)
    _allow_media(review_hub, media_server)
    lea = person(state, org, "lea", role="lead")
    a = queued_file(state.db, org, n=1, data=benign_png(), url=media_server.url("/media/1.png"))
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    ((draft, _),) = _reports(review_hub)
    standin.app.faults.server_errors = 1  # NCMEC answers 503 once: the first attempt fails, a retry is due
    client, csrf = review_hub.sign_in("lea")
    answer = client.post(f"/ui/reports/{draft.id}/submit", data={"csrf": csrf})
    page = client.get(answer.headers["location"]).text
    assert 'id="state-status">submitting<' in page
    assert f'hx-get="/ui/reports/{draft.id}/state" hx-trigger="every 5s"' in page
    fragment = client.get(f"/ui/reports/{draft.id}/state")
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="state"')
    assert 'id="attempts">1<' in fragment.text
    assert 'id="last-error">' in fragment.text
    assert reports.attempt(state.db, state.settings, draft.id) == "finished"  # the loop's next attempt
    fragment = client.get(f"/ui/reports/{draft.id}/state").text
    assert 'id="state-status">finished<' in fragment
    assert "hx-get" not in fragment


def test_the_platform_fills_the_uploader_details(review_hub: ReviewHub, platform_hook: PlatformHook) -> None:
    from sharedhash.reports.model import Environment

    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporter = {"person": {"emails": ["reports@example.org"]}}
    platform_hook.secret = (
        reports.put_settings_of(state.db, state.settings, org, reporter, Environment.TEST, platform_hook.url) or ""
    )
    platform_hook.answer = {"screen_name": "zorblax-7", "emails": ["uploader-7@example.com"]}
    lea = person(state, org, "lea", role="lead")
    a = queued(state.db, org, n=1)
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    ((draft, _),) = _reports(review_hub)
    client, csrf = review_hub.sign_in("lea")
    answer = client.post(f"/ui/reports/{draft.id}/fill", data={"csrf": csrf})
    assert answer.headers["location"].endswith("?done=filled")
    assert platform_hook.payloads[0]["uploader_id"] == "uploader-7"
    ((report, _),) = _reports(review_hub)
    assert report.reported_person["screen_name"] == "zorblax-7"
    assert report.reported_person["emails"] == ["uploader-7@example.com"]
    (filled,) = _actions(review_hub, "report.presubmit")
    assert filled.detail == {
        "person_id": filled.detail["person_id"],
        "login": "lea",
        "filled": ["emails", "screen_name"],
    }


def test_moderators_and_other_orgs_get_404_on_report_pages(review_hub: ReviewHub) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    lea = person(state, org, "lea", role="lead")
    review_hub.add("quuxvid", "ann")
    review_hub.add("zorbnet", "eve", role="admin")
    a = queued(state.db, org, n=1, uploader="uploader-zorblax-secret")
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    ((draft, files),) = _reports(review_hub)
    for login in ("ann", "eve"):
        client, csrf = review_hub.sign_in(login)
        for path in (f"/ui/reports/{draft.id}", f"/ui/reports/{draft.id}/export"):
            answer = client.get(path)
            assert answer.status_code == 404, (login, path)
            assert "uploader-zorblax-secret" not in answer.text
        assert client.get("/ui/reports").status_code == (404 if login == "ann" else 200)
        for action in ("validate", "submit", "retract", "fill", "fetch"):
            answer = client.post(f"/ui/reports/{draft.id}/{action}", data={"csrf": csrf})
            assert answer.status_code == 404, (login, action)
        answer = client.post(f"/ui/reports/{draft.id}/files/{files[0].id}/remove", data={"csrf": csrf})
        assert answer.status_code == 404
        if login == "ann":
            assert 'href="/ui/reports"' not in client.get("/ui/queue").text  # no link for moderators either
    ((kept, kept_files),) = _reports(review_hub)
    assert kept.status == "draft"
    assert len(kept_files) == 1
    assert len(_actions(review_hub, "ui.refused")) >= 8


def test_concurrent_confirmations_about_one_uploader_fill_one_draft(review_hub: ReviewHub) -> None:
    """Two confirmations about one uploader in concurrent transactions: the second waits for the first's draft and
    adds its file to it (PostgreSQL's advisory lock; SQLite's writes are serial) instead of starting another."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from sharedhash.store.models import ContentCheck, ReviewItem

    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    reporting_org(state.db, state.settings, org)
    a = queued(state.db, org, n=1, uploader="uploader-9")
    b = queued(state.db, org, n=2, uploader="uploader-9")
    drafted, release = threading.Event(), threading.Event()

    def confirm(item_id: int, check_id: int, hold: bool) -> int | None:
        if not hold:
            drafted.wait(5)
        with state.db.writing() as s:
            item, check = s.get(ReviewItem, item_id), s.get(ContentCheck, check_id)
            assert item is not None
            assert check is not None
            report_id = reports.draft_from_review(s, org, item, check)
            if hold:
                drafted.set()
                release.wait(5)  # keep the first draft uncommitted while the second confirmation runs
            return report_id

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(confirm, a.item_id, a.check_id, True)
        second = pool.submit(confirm, b.item_id, b.check_id, False)
        drafted.wait(5)
        time.sleep(1.0)  # the second reaches its draft lookup, behind the first
        release.set()
        assert first.result() == second.result() is not None
    with state.db.reading() as s:
        drafts = list(s.scalars(select(Report).where(Report.org_id == org.org_id, Report.uploader_id == "uploader-9")))
        assert len(drafts) == 1
        assert len(list(s.scalars(select(ReportFile).where(ReportFile.report_id == drafts[0].id)))) == 2
