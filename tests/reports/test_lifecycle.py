"""Submitting CyberTipline reports through the hub's API against the local stand-in server: the happy path, the
documented failure codes, network faults, NCMEC's expiry of unfinished reports, retraction, follow-ups."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest

from sharedhash.reports.schema import compile_xsd, packaged_xsd
from sharedhash.reports.standin import StandIn
from sharedhash.reports.standin import State as RemoteState
from sharedhash.server.reports import service
from sharedhash.store.models import utcnow
from tests.support.hub import Hub, state_of
from tests.support.reports import draft, sample, setup_org


def _get(hub: Hub, report_id: int) -> dict[str, Any]:
    r = hub.client.get(f"/v1/reports/{report_id}", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _submit(hub: Hub, report_id: int) -> dict[str, Any]:
    r = hub.client.post(f"/v1/reports/{report_id}/submit", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _attempt(hub: Hub, report_id: int) -> str | None:
    """One attempt, as the loop makes it (whether or not the report is due yet)."""
    state = state_of(hub)
    return service.attempt(state.db, state.settings, report_id)


def test_happy_path_submits_uploads_describes_and_finishes(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    files = [sample(1), sample(2)]
    report = draft(report_hub, files)
    assert report["status"] == "draft"
    assert report["reporter"]["person"]["emails"] == ["reports@example.org"]
    valid = report_hub.client.post(f"/v1/reports/{report['id']}/validate", headers=report_hub.auth("owner"))
    assert valid.json() == {"valid": True, "problems": []}

    done = _submit(report_hub, report["id"])
    assert done["status"] == "finished"
    assert done["attempts"] == 0
    remote = standin.app.reports[done["ncmec_report_id"]]
    assert remote.state is RemoteState.FINISHED
    assert sorted(f.md5 for f in remote.files.values()) == sorted(f.hashes[0]["value"] for f in files)
    assert all(f.details is not None for f in remote.files.values())
    assert {f["ncmec_file_id"] for f in done["files"]} == set(remote.files)
    # What NCMEC received: the uploader, the reporter, the viewed flag per file.
    document = ET.fromstring(remote.document)
    assert document.findtext("personOrUserReported/espIdentifier") == "example-user-1"
    assert document.findtext("reporter/reportingPerson/email") == "reports@example.org"
    viewed = {
        ET.fromstring(f.details).findtext("originalFileName"): ET.fromstring(f.details).findtext("fileViewedByEsp")
        for f in remote.files.values()
        if f.details is not None
    }
    assert viewed == {files[0].name: "true", files[1].name: "false"}
    # The calls in the documented order: submit, then upload + fileinfo per file, then finish.
    assert [c for c, _ in standin.app.calls if c != "xsd"] == [
        "submit",
        "upload",
        "fileinfo",
        "upload",
        "fileinfo",
        "finish",
    ]
    # Preservation records, one per reported file.
    state = state_of(report_hub)
    records = service.preservation_records(state.db, _caller(report_hub), report["id"])
    assert [r["file_name"] for r in records] == [f.name for f in files]
    assert all(r["preserve_until"] - r["reported_at"] == timedelta(days=365) for r in records)


def _caller(hub: Hub, who: str = "owner") -> Any:
    from sharedhash.store.orgs import caller_for_org, get_org_by_name

    with state_of(hub).db.reading() as s:
        return caller_for_org(get_org_by_name(s, who))


def test_validation_failure_at_ncmec_fails_without_retrying(report_hub: Hub, standin: StandIn) -> None:
    """NCMEC's schema changed after the XSD was fetched: 4100 on submit is permanent (no retry)."""
    setup_org(report_hub, standin)
    stricter = packaged_xsd().replace(
        '<xs:element name="screenName" type="nonEmptyString" minOccurs="0"/>\n      <xs:element name="displayName"',
        '<xs:element name="screenName" type="xs:int" minOccurs="0"/>\n      <xs:element name="displayName"',
    )
    assert stricter != packaged_xsd()
    standin.app.schema = compile_xsd(stricter)
    report = draft(report_hub, [sample(1)])
    shown = _submit(report_hub, report["id"])
    assert shown["status"] == "failed"
    assert shown["last_error_code"] == "cybertipline_validation_failed"
    assert "4100" in shown["last_error"]
    assert shown["next_attempt_at"] is None
    assert ("submit", 4100) in standin.app.calls
    assert standin.app.reports == {}


def test_invalid_report_is_refused_before_anything_is_sent(report_hub: Hub, standin: StandIn) -> None:
    """The pre-submit check against the schema: an org without reporter details cannot submit."""
    report_hub.client.put(
        "/v1/report-credentials/test",
        json={"username": "example-esp-1", "password": "zorblax-Passw0rd-1", "url": standin.url},
        headers=report_hub.auth("owner"),
    )
    report = draft(report_hub, [sample(1)])
    valid = report_hub.client.post(f"/v1/reports/{report['id']}/validate", headers=report_hub.auth("owner")).json()
    assert valid["valid"] is False
    assert any("reporter" in p for p in valid["problems"])
    r = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "report_xml_invalid"
    assert r.json()["error"]["problems"]
    assert _get(report_hub, report["id"])["status"] == "draft"
    assert standin.app.calls == []


def test_malformed_xml_gets_the_documented_code(standin: StandIn) -> None:
    import httpx

    from sharedhash.reports.errors import CyberTiplineMalformedError, error_for
    from sharedhash.reports.xml import parse_answer
    from tests.support.reports import STANDIN_PASSWORD, STANDIN_USER

    for endpoint in ("submit", "fileinfo"):
        r = httpx.post(
            f"{standin.url}/{endpoint}",
            content=b"<report><incidentSummary>",
            auth=(STANDIN_USER, STANDIN_PASSWORD),
            headers={"Content-Type": "text/xml"},
        )
        answer = parse_answer(r.content)
        assert answer.response_code == 4110
        assert isinstance(error_for(answer.response_code, answer.description, endpoint), CyberTiplineMalformedError)


def test_already_finished(report_hub: Hub, standin: StandIn) -> None:
    from sharedhash.reports.client import Credentials, CyberTiplineClient
    from sharedhash.reports.errors import CyberTiplineAlreadyFinishedError
    from tests.support.reports import STANDIN_PASSWORD, STANDIN_USER

    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    done = _submit(report_hub, report["id"])
    with CyberTiplineClient(Credentials(standin.url, STANDIN_USER, STANDIN_PASSWORD)) as client:
        with pytest.raises(CyberTiplineAlreadyFinishedError) as caught:
            client.finish(done["ncmec_report_id"])
        assert caught.value.details["response_code"] == 5102
        with pytest.raises(CyberTiplineAlreadyFinishedError):
            client.upload(done["ncmec_report_id"], "x.txt", b"zorblax")
    r = report_hub.client.post(f"/v1/reports/{report['id']}/retract", headers=report_hub.auth("owner"))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "report_state"
    r = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    assert r.status_code == 409


def test_network_failure_mid_upload_then_retry_succeeds(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1), sample(2)])
    standin.app.faults.drop_uploads = 1
    before = utcnow()
    shown = _submit(report_hub, report["id"])
    assert shown["status"] == "submitted"
    assert shown["last_error_code"] == "cybertipline_unreachable"
    assert shown["attempts"] == 1
    # Back-off: between half and all of the first delay (20 s in this hub).
    wait = datetime.fromisoformat(shown["next_attempt_at"]) - before
    assert timedelta(seconds=9) <= wait <= timedelta(seconds=21)
    ncmec_id = shown["ncmec_report_id"]
    assert standin.app.reports[ncmec_id].files == {}  # the dropped upload left nothing

    assert _attempt(report_hub, report["id"]) == "finished"
    shown = _get(report_hub, report["id"])
    assert shown["status"] == "finished"
    assert shown["ncmec_report_id"] == ncmec_id  # the same report was continued, not opened again
    assert len(standin.app.reports) == 1
    assert len(standin.app.reports[ncmec_id].files) == 2


def test_server_errors_for_a_while_back_off_exponentially(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    standin.app.faults.server_errors = 3  # the xsd fetch, then the retries' xsd fetches (the client caches none)
    shown = _submit(report_hub, report["id"])
    assert shown["status"] == "submitting"
    assert shown["last_error_code"] == "cybertipline_server_error"
    waits = []
    for expected_attempts in (2, 3):
        now = utcnow()
        assert _attempt(report_hub, report["id"]) == "submitting"
        shown = _get(report_hub, report["id"])
        assert shown["attempts"] == expected_attempts
        waits.append(datetime.fromisoformat(shown["next_attempt_at"]) - now)
    # Attempt 2 waits 20-40 s, attempt 3 waits 40-80 s (base 20 s, doubling, equal jitter).
    assert timedelta(seconds=19) <= waits[0] <= timedelta(seconds=41)
    assert timedelta(seconds=39) <= waits[1] <= timedelta(seconds=81)
    assert _attempt(report_hub, report["id"]) == "finished"


def test_expired_unfinished_report_is_started_again(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    standin.app.expiry_seconds = 0.3
    report = draft(report_hub, [sample(1)])
    standin.app.faults.drop_uploads = 1
    first = _submit(report_hub, report["id"])["ncmec_report_id"]
    import time

    time.sleep(0.5)
    # NCMEC cancelled the unfinished report: the upload answers 5001; the id is abandoned and the next attempt is
    # due at once.
    assert _attempt(report_hub, report["id"]) == "submitting"
    shown = _get(report_hub, report["id"])
    assert shown["abandoned_ncmec_ids"] == [first]
    assert shown["ncmec_report_id"] is None
    assert shown["last_error_code"] == "cybertipline_report_gone"
    standin.app.expiry_seconds = 3600  # the new report must not expire while a loaded machine finishes it
    assert _attempt(report_hub, report["id"]) == "finished"
    shown = _get(report_hub, report["id"])
    assert shown["ncmec_report_id"] not in (None, first)
    assert standin.app.reports[first].state is RemoteState.EXPIRED
    assert standin.app.reports[shown["ncmec_report_id"]].state is RemoteState.FINISHED


def test_report_older_than_the_expiry_is_not_continued(report_hub: Hub, standin: StandIn) -> None:
    """sharedhash tracks the expiry itself: an open report past ``report_ncmec_expiry_hours`` is started again
    without calling NCMEC about the old one."""
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    standin.app.faults.drop_uploads = 1
    shown = _submit(report_hub, report["id"])
    first = shown["ncmec_report_id"]
    assert datetime.fromisoformat(shown["ncmec_expires_at"]) - datetime.fromisoformat(
        shown["ncmec_opened_at"]
    ) == timedelta(hours=24)
    state = state_of(report_hub)
    quick = state.settings.model_copy(update={"report_ncmec_expiry_hours": 1e-9})
    calls = len(standin.app.calls)
    assert service.attempt(state.db, quick, report["id"]) == "finished"
    assert _get(report_hub, report["id"])["abandoned_ncmec_ids"] == [first]
    assert ("upload", 5001) not in standin.app.calls[calls:]


def test_expired_with_no_time_left_ends_expired(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    standin.app.expiry_seconds = 0.2
    report = draft(report_hub, [sample(1)])
    standin.app.faults.drop_uploads = 1
    _submit(report_hub, report["id"])
    import time

    time.sleep(0.4)
    state = state_of(report_hub)
    no_time = state.settings.model_copy(update={"report_retry_hours": 1e-9})
    assert service.attempt(state.db, no_time, report["id"]) == "expired"
    shown = _get(report_hub, report["id"])
    assert shown["status"] == "expired"
    assert shown["next_attempt_at"] is None
    # An expired report may be submitted again.
    standin.app.expiry_seconds = 3600
    assert _submit(report_hub, report["id"])["status"] == "finished"


def test_permanent_failure_after_opening_retracts_the_open_report(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    # The file details are refused by NCMEC's (changed) schema: a permanent failure after the report was opened.
    standin.app.schema = compile_xsd(
        packaged_xsd().replace(
            '<xs:element name="fileViewedByEsp" type="xs:boolean" minOccurs="0"/>',
            '<xs:element name="fileViewedByEsp" type="xs:int" minOccurs="0"/>',
        )
    )
    shown = _submit(report_hub, report["id"])
    assert shown["status"] == "failed"
    assert shown["last_error_code"] == "cybertipline_validation_failed"
    (opened,) = standin.app.reports.values()
    assert opened.state is RemoteState.RETRACTED
    assert shown["abandoned_ncmec_ids"] == [opened.id]
    assert shown["ncmec_report_id"] is None


def test_retract_an_open_report(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    standin.app.faults.drop_uploads = 1
    opened = _submit(report_hub, report["id"])["ncmec_report_id"]
    r = report_hub.client.post(f"/v1/reports/{report['id']}/retract", headers=report_hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "retracted"
    assert standin.app.reports[opened].state is RemoteState.RETRACTED
    assert (
        report_hub.client.post(f"/v1/reports/{report['id']}/retract", headers=report_hub.auth("owner")).status_code
        == 409
    )
    # A retracted report is not picked up again.
    state = state_of(report_hub)
    assert service.run_due(state.db, state.settings) == 0


def test_follow_up_names_the_earlier_report(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    first = draft(report_hub, [sample(1)])
    pending = draft(report_hub, [sample(3)])
    r = report_hub.client.post(
        "/v1/reports",
        json={
            "uploader_id": "example-user-1",
            "follows_report_id": pending["id"],
            "files": [{"file_name": "a.txt", "hashes": sample(4).hashes}],
        },
        headers=report_hub.auth("owner"),
    )
    assert r.status_code == 409  # a follow-up refers to a finished report
    earlier = _submit(report_hub, first["id"])["ncmec_report_id"]
    follow = draft(report_hub, [sample(2)], follows_report_id=first["id"])
    assert follow["prior_ncmec_report_ids"] == [earlier]
    done = _submit(report_hub, follow["id"])
    document = ET.fromstring(standin.app.reports[done["ncmec_report_id"]].document)
    assert [e.text for e in document.iterfind("personOrUserReported/priorCTReports")] == [str(earlier)]
    # The environment's XSD was fetched once and cached for both submissions.
    assert [c for c, _ in standin.app.calls].count("xsd") == 1


def test_credentials_are_never_stored_in_plain_text(report_hub: Hub, standin: StandIn) -> None:
    from sqlalchemy import text

    setup_org(report_hub, standin)
    shown = report_hub.client.get("/v1/report-credentials", headers=report_hub.auth("owner")).json()
    assert shown == [
        {"environment": "test", "url": standin.url, "username": "example-esp-1", "updated_at": shown[0]["updated_at"]}
    ]
    with state_of(report_hub).db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM report_credentials")).mappings().all()
        dump = connection.execute(text("SELECT password FROM report_credentials")).scalars().all()
    assert len(rows) == 1
    assert "zorblax-Passw0rd-1" not in repr(dict(rows[0]))
    assert dump[0].startswith("enc1:")
    # ...and the sealed password still works (the stand-in accepts it).
    report = draft(report_hub, [sample(1)])
    assert _submit(report_hub, report["id"])["status"] == "finished"


def test_the_loop_retries_a_due_report(database_url: str, tmp_path: Any, standin: StandIn) -> None:
    """The registered background loop picks up a report whose attempt failed and finishes it."""
    import time

    from sharedhash.server.app import create_app
    from tests.support.db import TestClient
    from tests.support.hub import make_settings, seed_orgs, wait_ready

    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, report_poll_seconds=0.2, report_backoff_seconds=0.2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        hub = Hub(client=client, keys=keys, settings=settings)
        setup_org(hub, standin)
        report = draft(hub, [sample(1)])
        standin.app.faults.drop_uploads = 1
        assert _submit(hub, report["id"])["status"] in ("submitted", "finished")
        deadline = time.monotonic() + 30
        while _get(hub, report["id"])["status"] != "finished":
            assert time.monotonic() < deadline, _get(hub, report["id"])
            time.sleep(0.1)
        assert _get(hub, report["id"])["attempts"] == 1
