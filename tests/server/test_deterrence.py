"""The deterrence service through the API: term lists as hash lists, sharing, changes, messages, HTML, settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sharedhash.deterrence import parse_rule
from sharedhash.server.app import create_app
from tests.support.api import assert_error, new_list
from tests.support.db import TestClient
from tests.support.deterrence import ALLOW, NEAR, ZORBLAX, add_rules
from tests.support.hub import Hub, wait_ready


def check(hub: Hub, query: str, who: str = "owner", **extra: Any) -> dict[str, Any]:
    """POST a check and return the JSON answer."""
    r = hub.client.post("/v1/deterrence/check", json={"query": query, **extra}, headers=hub.auth(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    """Poll until ``condition`` holds; return the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "the change did not take effect"
        time.sleep(0.05)
    return time.monotonic() - start


def test_check_answers_message_and_resources_not_the_rule(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX, NEAR, ALLOW)
    body = check(hub, "Z.0.R.B.L.4.X pics", locale="en-GB")
    assert body["deter"] is True
    assert set(body) == {"deter", "message", "resources", "notes"}
    message = body["message"]
    assert message["language"] == "en"
    for part in ("title", "illegal", "harm", "consequences", "help"):
        assert message[part]
    names = [r["name"] for r in body["resources"]]
    assert names[0] == "Stop It Now (UK and Ireland)"
    for resource in body["resources"]:
        assert set(resource) == {"name", "url", "description"}
        assert resource["url"].startswith("http://testserver/v1/deterrence/click/")
    text = str(body)
    rule = parse_rule(ZORBLAX)
    assert rule.rule_id not in text
    assert "placeholder" not in text
    assert "zorb" not in text.lower()
    # Co-occurrence fires; the allow phrase suppresses; unrelated text does not fire.
    assert check(hub, "quuxvid and frobnitz")["deter"] is True
    assert check(hub, "quuxvid garden tools shed lawn frobnitz")["deter"] is False
    clean = check(hub, "visit the zorblax museum")
    assert clean == {"deter": False, "message": None, "resources": [], "notes": []}
    assert check(hub, "garden tools")["deter"] is False
    # A German locale gets the German template; a country picks its resources first.
    de = check(hub, "zorblax", locale="de-DE")
    assert de["message"]["language"] == "de"
    assert de["resources"][0]["name"] == "Kein Täter werden"


def test_each_link_is_fresh_and_opaque(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX, "term quuxvid")
    first = check(hub, "zorblax", country="US")["resources"][0]["url"]
    second = check(hub, "zorblax", country="US")["resources"][0]["url"]
    other = check(hub, "quuxvid", country="US")["resources"][0]["url"]
    assert len({first, second, other}) == 3  # tokens do not tell whether two answers came from one rule
    for url in (first, second, other):
        r = hub.client.get(url.removeprefix("http://testserver"), follow_redirects=False)
        assert r.status_code == 302
        assert r.headers["location"] == "https://www.stopitnow.org"
        assert r.headers["cache-control"] == "no-store"


def test_explain_for_admins_only(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    body = check(hub, "zorblqx", explain=True)
    assert body["explain"][0]["rule_id"] == parse_rule(ZORBLAX).rule_id
    assert body["explain"][0]["how"] == "fuzzy"
    r = hub.client.post(
        "/v1/deterrence/check", json={"query": "zorblax", "explain": True}, headers=hub.auth("owner_read")
    )
    assert_error(r, 403, "permission_denied")
    assert "explain" not in check(hub, "zorblax", who="owner_read")
    assert "readings" not in check(hub, "zorblax", who="owner_read")


def test_explain_shows_each_reading_and_near_misses(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    # URL-encoded and with a letter-like character: a decoded reading, and the character's Unicode source.
    body = check(hub, "%EF%BD%9Aorblax video", explain=True)
    assert body["deter"] is True
    labels = [r["reading"] for r in body["readings"]]
    assert len(labels) >= 2  # as received, and decoded
    decoded = [r for r in body["readings"] if r["reading"] != "as received"]
    assert decoded
    assert all(step["step"] and isinstance(step["text"], str) for step in decoded[0]["steps"])
    assert any(c["reads_as"] == "z" for r in body["readings"] for c in r["characters"])
    # A query that fires nothing still says which rule came closest and why it did not fire.
    miss = check(hub, "zqrbyyx", explain=True)
    assert miss["deter"] is False
    assert miss["near_misses"][0]["rule_id"] == parse_rule(ZORBLAX).rule_id
    assert miss["near_misses"][0]["reason"]


def test_sharing_decides_who_is_deterred(hub: Hub) -> None:
    lst = new_list(hub, name="terms", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    add_rules(hub, lst["id"], ZORBLAX)
    assert check(hub, "zorblax")["deter"] is True
    assert check(hub, "zorblax", who="sharee")["deter"] is True
    assert check(hub, "zorblax", who="stranger")["deter"] is False
    # Opening the list to all members reaches the stranger too, without a restart; closing it withdraws it.
    r = hub.client.patch(f"/v1/hash-lists/{lst['id']}", json={"visibility": "members"}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    eventually(lambda: check(hub, "zorblax", who="stranger")["deter"])
    r = hub.client.patch(f"/v1/hash-lists/{lst['id']}", json={"visibility": "private"}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    eventually(lambda: not check(hub, "zorblax", who="sharee")["deter"])
    assert check(hub, "zorblax")["deter"] is True


def test_added_and_removed_rules_take_effect_promptly(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    assert check(hub, "plimmerbolt 9")["deter"] is False  # builds the (empty) matcher
    entry = add_rules(hub, lst["id"], "term 'plimmerbolt 9'", wait=False)[0]
    added = eventually(lambda: check(hub, "plimmerbolt 9")["deter"])
    assert hub.client.delete(f"/v1/entries/{entry['id']}", headers=hub.auth("owner")).status_code == 204
    removed = eventually(lambda: not check(hub, "plimmerbolt 9")["deter"])
    assert added < 5
    assert removed < 5
    # An allow rule added later suppresses the term.
    add_rules(hub, lst["id"], ZORBLAX, wait=False)
    eventually(lambda: check(hub, "zorblax museum")["deter"])
    add_rules(hub, lst["id"], ALLOW, wait=False)
    eventually(lambda: not check(hub, "zorblax museum")["deter"])
    assert check(hub, "zorblax")["deter"] is True


def test_html_snippet_is_escaped(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    evil = "<script>alert(1)</script>"
    catalog = {
        "templates": {
            "en": {
                "title": f"Stop {evil}",
                "illegal": "It is illegal & wrong.",
                "harm": '"><img src=x onerror=alert(2)>',
                "consequences": "Consequences.",
                "help": "Help exists.",
            }
        },
        "resources": [
            {"name": f"Help {evil}", "url": "https://help.example.org/?a=1&b=\"'><x", "languages": ["en"],
             "description": "<b>bold</b>"}
        ],
    }  # fmt: skip
    r = hub.client.put("/v1/deterrence/settings", json={"catalog": catalog}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    r = hub.client.post("/v1/deterrence/check.html", json={"query": "zorblax"}, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert html.startswith('<div class="sharedhash-deterrence"')
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'href="http://testserver/v1/deterrence/click/' in html
    # The query never comes back, and a clean query gets an empty snippet.
    r = hub.client.post("/v1/deterrence/check.html", json={"query": f"zorblax {evil}"}, headers=hub.auth("owner"))
    assert "alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; zorblax" not in r.text
    r = hub.client.post("/v1/deterrence/check.html", json={"query": "garden"}, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.text == ""


def test_settings_defaults_validation_and_reset(hub: Hub) -> None:
    r = hub.client.get("/v1/deterrence/settings", headers=hub.auth("owner"))
    assert r.status_code == 200
    body = r.json()
    assert body["public"] is False
    assert body["custom_catalog"] is False
    assert set(body["catalog"]["templates"]) >= {"en", "de", "fr", "es", "nl"}
    assert body["public_check_path"] == "/v1/orgs/owner/deterrence/check"
    good = {"templates": {"en": dict.fromkeys(("title", "illegal", "harm", "consequences", "help"), "x")},
            "resources": [{"name": "Helpline", "url": "https://help.example.org", "languages": ["en"]}]}  # fmt: skip
    bad_cases = [
        {**good, "resources": [{"name": "Helpline", "url": "http://help.example.org", "languages": ["en"]}]},
        {**good, "resources": [{"name": "Helpline", "url": "javascript:alert(1)", "languages": ["en"]}]},
        {**good, "resources": [{"name": "Helpline", "url": "https://a b", "languages": ["en"]}]},
        {"templates": {"en": {"title": "x", "illegal": "x"}}},
        {"templates": {"en": {**good["templates"]["en"], "harm": "x" * 1001}}},  # type: ignore[index]
        {"templates": {"en": {**good["templates"]["en"], "help": "bad\x07bell"}}},  # type: ignore[index]
        {"templates": {}},
        {"templates": "en"},
        {**good, "resources": "none"},
    ]
    for catalog in bad_cases:
        r = hub.client.put("/v1/deterrence/settings", json={"catalog": catalog}, headers=hub.auth("owner"))
        assert_error(r, 400, "invalid_catalog")
    r = hub.client.put("/v1/deterrence/settings", json={"public_per_minute": 0}, headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_request")
    r = hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner_contribute"))
    assert_error(r, 403, "permission_denied")
    r = hub.client.put("/v1/deterrence/settings", json={"catalog": good}, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.json()["custom_catalog"] is True
    assert r.json()["catalog"]["resources"][0]["url"] == "https://help.example.org"
    assert r.json()["public"] is False  # untouched
    # Other orgs keep the defaults; null restores them.
    assert hub.client.get("/v1/deterrence/settings", headers=hub.auth("sharee")).json()["custom_catalog"] is False
    r = hub.client.put("/v1/deterrence/settings", json={"catalog": None}, headers=hub.auth("owner"))
    assert r.json()["custom_catalog"] is False
    events = hub.client.get("/v1/audit", headers=hub.auth("owner")).json()
    assert any(e["action"] == "deterrence.settings" for e in events)


def test_counters_and_click_redirect(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX, "term quuxvid")
    for _ in range(3):
        check(hub, "zorblax")
    links = check(hub, "quuxvid", locale="en-US")["resources"]
    check(hub, "garden")
    r = hub.client.get(links[0]["url"].removeprefix("http://testserver"), follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "https://www.stopitnow.org"
    stats = hub.client.get("/v1/deterrence/stats", headers=hub.auth("owner")).json()
    (day,) = stats["days"]
    assert (day["checks"], day["responses"], day["clicks"]) == (5, 4, 1)
    rules = {r["rule"]: (r["responses"], r["clicks"]) for r in day["rules"]}
    assert rules == {parse_rule(ZORBLAX).to_line(): (3, 0), parse_rule("term quuxvid").to_line(): (1, 1)}
    # Counts are the org's own; stats need an admin key.
    assert hub.client.get("/v1/deterrence/stats", headers=hub.auth("sharee")).json() == {"days": []}
    assert_error(hub.client.get("/v1/deterrence/stats", headers=hub.auth("owner_read")), 403, "permission_denied")


def test_click_is_no_open_redirect(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    url = check(hub, "zorblax")["resources"][0]["url"].removeprefix("http://testserver")
    token = url.rsplit("/", 1)[1]
    for forged in ("x", "A" * 38, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "https:evil.example"):
        assert_error(hub.client.get(f"/v1/deterrence/click/{forged}", follow_redirects=False), 404, "not_found")
    assert hub.client.get("/v1/deterrence/click/%2F%2Fevil.example", follow_redirects=False).status_code == 404
    # Once the org drops that resource from its catalog, its links stop leading there.
    catalog = {"templates": {"en": dict.fromkeys(("title", "illegal", "harm", "consequences", "help"), "x")},
               "resources": [{"name": "Other", "url": "https://other.example.org", "languages": ["en"]}]}  # fmt: skip
    assert hub.client.put("/v1/deterrence/settings", json={"catalog": catalog}, headers=hub.auth("owner")).is_success
    assert_error(hub.client.get(url, follow_redirects=False), 404, "not_found")
    fresh = check(hub, "zorblax")["resources"][0]["url"].removeprefix("http://testserver")
    assert hub.client.get(fresh, follow_redirects=False).headers["location"] == "https://other.example.org"


def test_orgs_reading_the_same_rules_share_a_matcher_built_at_start(hub: Hub) -> None:
    lst = new_list(hub, name="terms", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    add_rules(hub, lst["id"], ZORBLAX)
    for who in ("owner", "sharee", "stranger"):
        check(hub, "zorblax", who=who)
    ids = {who: hub.client.get("/v1/orgs/me", headers=hub.auth(who)).json()["id"] for who in ("owner", "sharee")}
    ids["stranger"] = hub.client.get("/v1/orgs/me", headers=hub.auth("stranger")).json()["id"]
    rules = hub.client.app.state.deterrence.rules  # type: ignore[attr-defined]
    assert rules.rules_for(ids["owner"]).matcher is rules.rules_for(ids["sharee"]).matcher
    assert rules.rules_for(ids["owner"]).matcher is not rules.rules_for(ids["stranger"]).matcher
    # A restarted server compiles every org's rules in the background, before any check.
    with TestClient(create_app(hub.settings), raise_server_exceptions=False) as again:
        wait_ready(again)
        fresh = again.app.state.deterrence.rules  # type: ignore[attr-defined]
        eventually(lambda: all(fresh.is_built(i) for i in ids.values()))
        r = again.post("/v1/deterrence/check", json={"query": "zorblax"}, headers=hub.auth("sharee"))
        assert r.json()["deter"] is True
