"""The transparency dashboard: figures per day and per list as a page (SVG charts), JSON and CSV; leads only."""

from __future__ import annotations

import csv
import io

from sharedhash.server.review import service as review
from sharedhash.store.lists import create_list
from sharedhash.store.models import DeterrenceCounter, utcnow
from tests.support.review import ReviewHub, person, queued


def test_dashboard_counts_per_day_and_list(review_hub: ReviewHub) -> None:
    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    lea = person(state, org, "lea", role="lead")
    review_hub.add("quuxvid", "ann")
    with state.db.writing() as s:
        formula = create_list(s, org, "=cmd|zorblax").id
        plain = create_list(s, org, "plain").id
        s.add(DeterrenceCounter(org_id=org.org_id, rule_id="", day=utcnow().date(), checks=9, responses=4, clicks=1))
    a = queued(state.db, org, n=1, lst=formula)
    b = queued(state.db, org, n=2, lst=formula)
    c = queued(state.db, org, n=3, lst=plain)
    review.decide(state, lea, a.item_id, "confirmed", "A1")
    review.decide(state, lea, b.item_id, "false_positive")
    review.decide(state, lea, c.item_id, "confirmed", "B2")

    client, _ = review_hub.sign_in("lea")
    page = client.get("/ui/dashboard?days=7")
    assert page.status_code == 200
    assert page.text.count("<svg") == 8  # the seven figures and reports filed
    assert "50.0 %" in page.text
    data = client.get("/ui/dashboard.json?days=7").json()
    assert len(data["days"]) == 7
    today = data["days"][-1]
    assert today["day"] == utcnow().date().isoformat()
    expected = {"checks": 3, "matches": 3, "confirmed": 2, "false_positive": 1}
    assert {k: today[k] for k in expected} == expected
    assert (today["deterrence_responses"], today["help_clicks"]) == (4, 1)
    assert today["reports_filed"] == 0  # counted in tests/server/test_reports_ui.py
    assert today["median_minutes_to_decision"] is not None
    rates = {f["list_name"]: f["false_positive_rate"] for f in data["lists"]}
    assert rates == {"=cmd|zorblax": 0.5, "plain": 0.0}
    text = client.get("/ui/dashboard.csv?days=7").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["day", "checks", "matches"]
    assert ["'=cmd|zorblax", "2", "1", "1", "0.5"] in [r[1:] for r in rows]  # no formula runs in a spreadsheet
    assert client.get("/ui/dashboard?days=0").status_code == 400

    ann, _ = review_hub.sign_in("ann")
    for path in ("/ui/dashboard", "/ui/dashboard.json", "/ui/dashboard.csv"):
        assert ann.get(path).status_code == 404
