"""The report endpoints: bad input answers a specific error and changes nothing, other orgs see nothing, the ZIP
export, the preservation records and their purge, the client's handling of refused credentials."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from sharedhash.reports.standin import StandIn
from sharedhash.server.reports import service
from sharedhash.store import reports as store
from sharedhash.store.models import utcnow
from tests.support.hub import Hub, state_of
from tests.support.reports import draft, sample, setup_org


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uploader_id": "example-user-1",
        "files": [{"file_name": "example-file-1.txt", "hashes": sample(1).hashes}],
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"uploader_id": ""}, "invalid_request"),
        ({"files": []}, "invalid_request"),
        ({"files": [{"file_name": "a", "hashes": [{"hash_type": "md5", "value": "zz"}]}]}, "invalid_hash"),
        ({"files": [{"file_name": "a", "hashes": [{"hash_type": "nohash", "value": "ab"}]}]}, "unknown_hash_type"),
        ({"files": [{"file_name": "a\x01b", "hashes": sample(1).hashes}]}, "invalid_text"),
        ({"reported_person": {"ip_captures": [{"ip_address": "999.1.1.1"}]}}, "invalid_request"),
        ({"reported_person": {"emails": ["not-an-email"]}}, "invalid_request"),
        ({"reported_person": {"profile_urls": ["javascript:alert(1)"]}}, "invalid_request"),
        ({"incident_type": "zorblax"}, "invalid_request"),
        ({"incident_time": "2026-12-01T10:00:00"}, "invalid_request"),  # no time zone
        ({"environment": "staging"}, "invalid_request"),
        ({"follows_report_id": 2**63}, "invalid_request"),
        ({"follows_report_id": 999}, "not_found"),
        ({"zorblax": 1}, "invalid_request"),
    ],
)
def test_bad_drafts_are_refused_with_a_specific_code(report_hub: Hub, changes: dict[str, Any], code: str) -> None:
    r = report_hub.client.post("/v1/reports", json=_body(**changes), headers=report_hub.auth("owner"))
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] == code
    assert report_hub.client.get("/v1/reports", headers=report_hub.auth("owner")).json() == []


def test_attached_bytes_must_match_the_hashes(report_hub: Hub) -> None:
    report = draft(report_hub, [sample(1)], attach=False)
    file_id = report["files"][0]["id"]
    url = f"/v1/reports/{report['id']}/files/{file_id}/content"
    r = report_hub.client.put(url, content=sample(2).data, headers=report_hub.auth("owner"))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "report_content_mismatch"
    r = report_hub.client.put(url, content=b"", headers=report_hub.auth("owner"))
    assert r.status_code == 400
    assert not report_hub.client.get(f"/v1/reports/{report['id']}", headers=report_hub.auth("owner")).json()["files"][
        0
    ]["has_content"]
    r = report_hub.client.put(
        f"/v1/reports/{report['id']}/files/999/content", content=sample(1).data, headers=report_hub.auth("owner")
    )
    assert r.status_code == 404


def test_submit_needs_credentials_and_every_files_bytes(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1), sample(2)], attach=False)
    r = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "report_incomplete"
    assert "have no bytes" in r.json()["error"]["message"]
    production = draft(report_hub, [sample(3)], environment="production")
    r = report_hub.client.post(f"/v1/reports/{production['id']}/submit", headers=report_hub.auth("owner"))
    assert r.status_code == 400
    assert "production" in r.json()["error"]["message"]
    assert standin.app.calls == []


def test_only_drafts_are_edited(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    r = report_hub.client.patch(
        f"/v1/reports/{report['id']}",
        json={"reported_person": {"screen_name": "example-user-1b", "emails": ["u1b@example.com"]}},
        headers=report_hub.auth("owner"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["reported_person"]["screen_name"] == "example-user-1b"
    r = report_hub.client.patch(
        f"/v1/reports/{report['id']}",
        json={"files": [{"file_name": "x", "hashes": sample(5).hashes}]},
        headers=report_hub.auth("owner"),
    )
    assert r.status_code == 200
    assert [f["file_name"] for f in r.json()["files"]] == ["x"]
    report = draft(report_hub, [sample(1)])
    report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    r = report_hub.client.patch(
        f"/v1/reports/{report['id']}", json={"additional_info": "zorblax"}, headers=report_hub.auth("owner")
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "report_state"


def test_other_orgs_and_lesser_keys_see_nothing(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1)])
    assert report_hub.client.get("/v1/reports", headers=report_hub.auth("stranger")).json() == []
    assert report_hub.client.get("/v1/report-credentials", headers=report_hub.auth("stranger")).json() == []
    assert report_hub.client.get("/v1/report-settings", headers=report_hub.auth("stranger")).json()["reporter"] == {}
    r = report_hub.client.post(
        "/v1/reports", json=_body(follows_report_id=report["id"]), headers=report_hub.auth("stranger")
    )
    assert r.status_code == 404
    for who in ("owner_read", "owner_contribute"):
        r = report_hub.client.get(f"/v1/reports/{report['id']}", headers=report_hub.auth(who))
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "permission_denied"


def test_export_zip(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    files = [sample(1), sample(2)]
    report = draft(report_hub, files)
    r = report_hub.client.get(f"/v1/reports/{report['id']}/export", headers=report_hub.auth("owner"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        document = archive.read("report.xml")
        details = archive.read("files/0002.xml")
    assert b"<espIdentifier>example-user-1</espIdentifier>" in document
    assert b"<originalFileName>example-file-2.txt</originalFileName>" in details
    assert [f["hashes"] for f in manifest["files"]] == [f.hashes for f in files]
    assert manifest["status"] == "draft"


def test_preservation_records_are_purged_after_the_period(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report = draft(report_hub, [sample(1), sample(2)])
    report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    db = state_of(report_hub).db
    assert service.purge_preserved(db) == 0  # still within the period
    with db.writing() as session:
        assert store.purge_preservations(session, utcnow() + timedelta(days=364)) == 0
        assert store.purge_preservations(session, utcnow() + timedelta(days=366)) == 2
    with db.reading() as session:
        assert store.preservations(session, store.get_report(session, 1, report["id"]).org_id, report["id"]) == []
        assert all(f.content is None for f in store.report_files(session, report["id"], with_content=True))
    shown = report_hub.client.get(f"/v1/reports/{report['id']}", headers=report_hub.auth("owner")).json()
    assert shown["status"] == "finished"  # the report itself stays


def test_refused_credentials_fail_without_retrying(report_hub: Hub, standin: StandIn) -> None:
    setup_org(report_hub, standin)
    report_hub.client.put(
        "/v1/report-credentials/test",
        json={"username": "example-esp-1", "password": "wrong-zorblax", "url": standin.url},
        headers=report_hub.auth("owner"),
    )
    report = draft(report_hub, [sample(1)])
    shown = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner")).json()
    assert shown["status"] == "failed"
    assert shown["last_error_code"] == "cybertipline_auth"
    assert "wrong-zorblax" not in json.dumps(shown)


def test_attached_bytes_are_sealed_at_rest(report_hub: Hub) -> None:
    from sqlalchemy import text

    report = draft(report_hub, [sample(7)])
    with state_of(report_hub).db.engine.connect() as connection:
        stored = connection.execute(text("SELECT content FROM report_files")).scalars().all()
    assert len(stored) == 1
    assert stored[0].startswith("enc1:")
    assert sample(7).data.decode() not in stored[0]
    shown = report_hub.client.get(f"/v1/reports/{report['id']}", headers=report_hub.auth("owner")).json()
    assert shown["files"][0]["content_size"] == len(sample(7).data)
