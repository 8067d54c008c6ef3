"""The pre-submit webhook: signed with the org's secret (shown once), its answer fills the reported person's empty
fields before the report goes out; a failing or malformed answer stops the submission with a clear error."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sharedhash.reports.standin import StandIn
from tests.support.hub import Hub
from tests.support.reports import PlatformHook, draft, sample, setup_org

REPORTER = {"person": {"emails": ["reports@example.org"]}}


def _hook(hub: Hub, hook: PlatformHook) -> dict[str, Any]:
    r = hub.client.put(
        "/v1/report-settings", json={"reporter": REPORTER, "pre_submit_url": hook.url}, headers=hub.auth("owner")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_hook_fills_the_uploaders_details(report_hub: Hub, standin: StandIn, platform_hook: PlatformHook) -> None:
    setup_org(report_hub, standin)
    made = _hook(report_hub, platform_hook)
    assert made["pre_submit_secret"].startswith("whsec_")
    platform_hook.secret = made["pre_submit_secret"]
    again = _hook(report_hub, platform_hook)  # the secret is shown once and kept
    assert again["pre_submit_secret"] is None
    assert (
        report_hub.client.get("/v1/report-settings", headers=report_hub.auth("owner")).json()["pre_submit_url"]
        == platform_hook.url
    )
    platform_hook.answer = {
        "screen_name": "from-the-platform",  # the draft has one already: the draft's stays
        "display_names": ["Example User One"],
        "ip_captures": [{"ip_address": "198.51.100.4", "event": "Login", "at": "2026-11-30T08:00:00Z"}],
    }
    report = draft(report_hub, [sample(1)])
    done = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner")).json()
    assert done["status"] == "finished", done
    assert platform_hook.payloads == [
        {
            "type": "report.pre_submit",
            "report_id": report["id"],
            "uploader_id": "example-user-1",
            "files": [{"file_name": sample(1).name}],
        }
    ]
    who = done["reported_person"]
    assert who["screen_name"] == "example-user-1"
    assert who["display_names"] == ["Example User One"]
    assert who["ip_captures"][0]["ip_address"] == "192.0.2.10"  # the draft's IP events stay
    document = ET.fromstring(standin.app.reports[done["ncmec_report_id"]].document)
    assert document.findtext("personOrUserReported/displayName") == "Example User One"


def test_a_failing_hook_stops_the_submission(report_hub: Hub, standin: StandIn, platform_hook: PlatformHook) -> None:
    setup_org(report_hub, standin)
    platform_hook.secret = _hook(report_hub, platform_hook)["pre_submit_secret"]
    report = draft(report_hub, [sample(1)])
    for status, answer, says in (
        (500, {}, "HTTP 500"),
        (200, ["not", "an", "object"], "not a reported person"),
        (200, {"ip_captures": [{"ip_address": "zorblax"}]}, "ip_captures.0.ip_address"),
        (200, {"emails": ["x@example.com"], "zorblax": 1}, "zorblax"),
    ):
        platform_hook.status, platform_hook.answer = status, answer
        r = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
        assert r.status_code == 502, r.text
        assert r.json()["error"]["code"] == "report_presubmit_failed"
        assert says in r.json()["error"]["message"]
        shown = report_hub.client.get(f"/v1/reports/{report['id']}", headers=report_hub.auth("owner")).json()
        assert shown["status"] == "draft"
        assert "emails" not in shown["reported_person"] or shown["reported_person"]["emails"] != ["x@example.com"]
    assert standin.app.reports == {}
    # A wrong secret on the platform's side: the platform refuses it.
    platform_hook.secret = "whsec_" + "A" * 44
    r = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner"))
    assert r.status_code == 502
    assert platform_hook.bad_signatures == 1
    # Without the hook the report goes out with what the draft holds.
    r = report_hub.client.put("/v1/report-settings", json={"reporter": REPORTER}, headers=report_hub.auth("owner"))
    assert r.json()["pre_submit_url"] is None
    done = report_hub.client.post(f"/v1/reports/{report['id']}/submit", headers=report_hub.auth("owner")).json()
    assert done["status"] == "finished"
