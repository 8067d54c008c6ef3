"""The review pages over HTTP: sign-in and its cookie, CSP, CSRF on every form, 404 outside the org and the role,
escaped metadata, the media proxy's allow-list, private addresses and redirects, views and exposure recorded."""

from __future__ import annotations

from sqlalchemy import select

from sharedhash.store.models import AuditEvent, Feedback, MediaView, ReviewItem
from sharedhash.store.review import settings_for_update
from tests.support.review import PASSWORD, MediaServer, ReviewHub, queued


def _actions(hub: ReviewHub, action: str) -> list[AuditEvent]:
    with hub.state.db.reading() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _allow(hub: ReviewHub, org: str, *hosts: str) -> None:
    with hub.state.db.writing() as s:
        settings_for_update(s, hub.orgs[org].org_id).media_hosts = list(hosts)


def test_sign_in_sets_a_strict_cookie_and_pages_have_a_strict_csp(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    client = review_hub.client()
    page = client.get("/ui/sign-in")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in page.text  # only <script src=...>
    assert client.get("/ui/queue").headers["location"] == "/ui/sign-in"
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/ui/sign-in", data={"login": "ann", "password": "not it at all", "csrf": csrf})
    assert wrong.status_code == 401
    assert "sign_in_failed" in wrong.text
    answer = client.post("/ui/sign-in", data={"login": "ann", "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "sh_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # loopback
    for asset in ("htmx.min.js", "app.js", "app.css"):
        assert client.get(f"/ui/static/{asset}").status_code == 200
    assert client.get("/ui/static/..%2Fpages.py").status_code == 404


def test_the_cookie_is_secure_outside_loopback(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    client = review_hub.client("https://review.quuxvid.test")
    page = client.get("/ui/sign-in")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/ui/sign-in", data={"login": "ann", "password": PASSWORD, "csrf": csrf})
    assert "Secure" in answer.headers["set-cookie"]


def test_a_forged_sign_in_form_is_refused(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    client = review_hub.client()
    answer = client.post("/ui/sign-in", data={"login": "ann", "password": PASSWORD, "csrf": "forged"})
    assert answer.status_code == 403
    assert "csrf_failed" in answer.text
    assert "sh_session" not in answer.headers.get("set-cookie", "")


def test_forged_csrf_tokens_are_refused_recorded_and_change_nothing(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    content = queued(review_hub.state.db, review_hub.orgs["quuxvid"], n=1)
    client, csrf = review_hub.sign_in("ann")
    for forged in ("", "zorblax", csrf[:-2] + "xx"):
        answer = client.post(f"/ui/items/{content.item_id}/decide", data={"csrf": forged, "choice": "confirmed:A1"})
        assert answer.status_code == 403
        assert "csrf_failed" in answer.text
    # The JSON API needs the header.
    answer = client.post(f"/v1/review/items/{content.item_id}/decision", json={"decision": "false_positive"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"
    assert len(_actions(review_hub, "ui.csrf_refused")) == 4
    with review_hub.state.db.reading() as s:
        item = s.get(ReviewItem, content.item_id)
        assert item is not None
        assert item.state == "open"
        assert s.scalars(select(Feedback)).all() == []


def test_keyboard_page_decides_and_moves_on(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    db, org = review_hub.state.db, review_hub.orgs["quuxvid"]
    first = queued(db, org, n=1, age_seconds=20, url="https://media.quuxvid.test/1.png")
    second = queued(db, org, n=2)
    client, csrf = review_hub.sign_in("ann")
    start = client.post("/ui/next", data={"csrf": csrf})
    assert start.headers["location"] == f"/ui/items/{first.item_id}"
    page = client.get(start.headers["location"])
    for key in ('data-key="1"', 'data-key="4"', 'data-key="f"', 'data-key="e"', 'data-key="s"', 'data-key="n"'):
        assert key in page.text
    assert "media blur-3 grey reveal-hold" in page.text
    answer = client.post(f"/ui/items/{first.item_id}/decide", data={"csrf": csrf, "choice": "confirmed:B1"})
    assert answer.headers["location"] == f"/ui/items/{second.item_id}"
    # JSON API, with the header.
    answer = client.post(
        f"/v1/review/items/{second.item_id}/decision",
        json={"decision": "false_positive"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["decision"] == "false_positive"
    assert client.post("/ui/next", data={"csrf": csrf}).headers["location"] == "/ui/queue?empty=true"
    with db.reading() as s:
        assert sorted((f.entry_id, f.verdict) for f in s.scalars(select(Feedback))) == [
            (first.entry_id, "confirm"),
            (second.entry_id, "dispute"),
        ]


def test_other_orgs_items_and_lead_pages_answer_404_and_are_recorded(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    review_hub.add("zorbnet", "eve", role="admin")
    db = review_hub.state.db
    content = queued(db, review_hub.orgs["quuxvid"], n=1)
    eve, eve_csrf = review_hub.sign_in("eve")
    for path in (f"/ui/items/{content.item_id}", f"/ui/items/{content.item_id}/media?size=full"):
        answer = eve.get(path)
        assert answer.status_code == 404
        assert "not_found" in answer.text
        assert "upload-1" not in answer.text
    answer = eve.post(f"/ui/items/{content.item_id}/decide", data={"csrf": eve_csrf, "choice": "false_positive"})
    assert answer.status_code == 404
    assert eve.get(f"/v1/review/items/{content.item_id}").status_code == 404
    ann, ann_csrf = review_hub.sign_in("ann")
    # A moderator acting as a lead or admin: 404, recorded.
    assert ann.get("/ui/admin").status_code == 404
    assert ann.post("/ui/admin/settings", data={"csrf": ann_csrf, "media_hosts": "zorblax.test"}).status_code == 404
    ann.post(f"/ui/items/{content.item_id}/decide", data={"csrf": ann_csrf, "choice": "confirmed:A1"})
    answer = ann.post(f"/ui/items/{content.item_id}/revert", data={"csrf": ann_csrf})
    assert answer.status_code == 404
    refused = _actions(review_hub, "review.refused") + _actions(review_hub, "ui.refused")
    assert len(refused) == 7  # four by the stranger, three by the moderator
    with db.reading() as s:
        item = s.get(ReviewItem, content.item_id)
        assert item is not None
        assert item.decision == "confirmed"


def test_scripts_in_metadata_are_escaped(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "ann")
    evil = '<script>alert("zorblax")</script><img src=x onerror=alert(1)>'
    content = queued(review_hub.state.db, review_hub.orgs["quuxvid"], n=1, content_id=evil, uploader=evil)
    client, _ = review_hub.sign_in("ann")
    page = client.get(f"/ui/items/{content.item_id}").text
    assert evil not in page
    assert "&lt;script&gt;alert(&#34;zorblax&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_the_media_proxy_refuses_hosts_off_the_allow_list_private_addresses_and_redirects(
    review_hub: ReviewHub, media_server: MediaServer
) -> None:
    review_hub.add("quuxvid", "ann")
    db, org = review_hub.state.db, review_hub.orgs["quuxvid"]
    off_list = queued(db, org, n=1, url="http://media.zorblax.test/1.png")
    moved = queued(db, org, n=2, url=media_server.url("/moved"))
    page = queued(db, org, n=3, url=media_server.url("/page"))
    fine = queued(db, org, n=4, url=media_server.url("/media/4.png"))
    _allow(review_hub, "quuxvid", f"{media_server.host}:{media_server.port}")
    client, _ = review_hub.sign_in("ann")
    answer = client.get(f"/ui/items/{off_list.item_id}/media")
    assert answer.status_code == 403
    assert "media_host_not_allowed" in answer.text
    answer = client.get(f"/ui/items/{moved.item_id}/media?size=full")
    assert answer.status_code == 502
    assert "redirect" in answer.text
    assert client.get(f"/ui/items/{page.item_id}/media?size=full").status_code == 502
    thumb = client.get(f"/ui/items/{fine.item_id}/media?size=thumb")
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/png"
    assert thumb.headers["cache-control"] == "no-store"
    assert client.get(f"/ui/items/{fine.item_id}/media?size=full").status_code == 200
    assert "169.254" not in "".join(media_server.hits)
    refused = [e.detail["code"] for e in _actions(review_hub, "review.refused")]
    assert refused == ["media_host_not_allowed", "media_unavailable", "media_unavailable"]
    with db.reading() as s:
        views = s.scalars(select(MediaView)).all()
    assert [(v.check_id, v.size) for v in views] == [(fine.check_id, "thumb"), (fine.check_id, "full")]
    assert [e.detail["exposure_today"] for e in _actions(review_hub, "review.media.full")] == [1]
    page_text = client.get(f"/ui/items/{fine.item_id}").text
    assert "Viewed 2 time(s)" in page_text


def test_the_media_proxy_refuses_private_addresses_by_default(review_hub: ReviewHub, media_server: MediaServer) -> None:
    review_hub.state.settings.review_media_allow_private = False
    review_hub.add("quuxvid", "ann")
    content = queued(review_hub.state.db, review_hub.orgs["quuxvid"], n=1, url=media_server.url("/media/1.png"))
    _allow(review_hub, "quuxvid", f"{media_server.host}:{media_server.port}", "localhost")
    client, _ = review_hub.sign_in("ann")
    answer = client.get(f"/ui/items/{content.item_id}/media?size=full")
    assert answer.status_code == 403
    assert "media_private_address" in answer.text
    assert media_server.hits == []
    (refused,) = _actions(review_hub, "review.refused")
    assert refused.detail["code"] == "media_private_address"


def test_the_daily_cap_stops_full_size_views(review_hub: ReviewHub, media_server: MediaServer) -> None:
    review_hub.add("quuxvid", "ann")
    content = queued(review_hub.state.db, review_hub.orgs["quuxvid"], n=1, url=media_server.url("/media/1.png"))
    _allow(review_hub, "quuxvid", f"{media_server.host}:{media_server.port}")
    with review_hub.state.db.writing() as s:
        row = settings_for_update(s, review_hub.orgs["quuxvid"].org_id)
        row.daily_cap, row.break_every = 2, 1
    client, _ = review_hub.sign_in("ann")
    full = f"/ui/items/{content.item_id}/media?size=full"
    assert [client.get(full).status_code for _ in range(3)] == [200, 200, 429]
    assert "break-prompt" in client.get(f"/ui/items/{content.item_id}").text
    assert client.get(f"/ui/items/{content.item_id}/media?size=thumb").status_code == 200


def test_admin_invites_and_the_link_works_once(review_hub: ReviewHub) -> None:
    review_hub.add("quuxvid", "root", role="admin")
    client, csrf = review_hub.sign_in("root")
    page = client.post("/ui/admin/invite", data={"csrf": csrf, "login": "bob", "role": "lead"})
    assert page.status_code == 200
    link = page.text.split("/ui/invite/")[1].split("<")[0]
    fresh = review_hub.client()
    assert fresh.get(f"/ui/invite/{link}").status_code == 200
    data = {"password": PASSWORD, "again": PASSWORD}
    assert fresh.post(f"/ui/invite/{link}", data=data).headers["location"] == "/ui/sign-in"
    assert fresh.get(f"/ui/invite/{link}").status_code == 404
    bob, _ = review_hub.sign_in("bob")
    assert "lead" in bob.get("/ui/queue").text
