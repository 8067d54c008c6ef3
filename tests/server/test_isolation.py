"""The isolation matrix: every route with an id, as the owner, a read-only sharee and a stranger (who gets 404)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import add, lookup, md5, new_list
from tests.support.hub import Hub
from tests.support.review import ReviewHub, person, queued

# method, path template, body, expected status for (stranger, sharee, owner). Run in that order, so a
# destructive request by the owner comes last.
MATRIX: list[tuple[str, str, Any, tuple[int, int, int]]] = [
    ("GET", "/v1/hash-lists/{list}", None, (404, 200, 200)),
    ("PATCH", "/v1/hash-lists/{list}", {"description": "quuxvid"}, (404, 403, 200)),
    ("GET", "/v1/hash-lists/{list}/entries", None, (404, 200, 200)),
    ("POST", "/v1/hash-lists/{list}/entries", {"hashes": [{"hash_type": "md5", "value": "f" * 32}]}, (404, 403, 201)),
    ("GET", "/v1/hash-lists/{list}/feed", None, (404, 200, 200)),
    ("GET", "/v1/hash-lists/{list}/export", None, (404, 200, 200)),
    (
        "POST",
        "/v1/hash-lists/{list}/import",
        b'{"hashes":[{"hash_type":"md5","value":"' + b"e" * 32 + b'"}]}\n',
        (404, 403, 200),
    ),
    ("GET", "/v1/entries/{entry}", None, (404, 200, 200)),
    ("PATCH", "/v1/entries/{entry}", {"labels": ["plimmerbolt 9"]}, (404, 403, 200)),
    ("PUT", "/v1/entries/{entry}/feedback", {"verdict": "confirm", "reason": "verified"}, (404, 200, 200)),
    ("DELETE", "/v1/entries/{entry}/feedback", None, (404, 204, 204)),
    ("GET", "/v1/entries/{entry}/disputes", None, (404, 403, 200)),
    ("POST", "/v1/entries/{entry}/resolution", {"action": "keep", "reply": "placeholder"}, (404, 403, 200)),
    ("GET", "/v1/hash-lists/{list}/dispute-policy", None, (404, 403, 200)),
    ("PUT", "/v1/hash-lists/{list}/dispute-policy", {"quarantine_after": 3}, (404, 403, 200)),
    ("DELETE", "/v1/entries/{entry}/hashes/md5/{md5}", None, (404, 403, 200)),
    ("DELETE", "/v1/entries/{entry}", None, (404, 403, 204)),
    ("DELETE", "/v1/keys/{key}", None, (404, 404, 200)),
    ("DELETE", "/v1/hash-lists/{list}", None, (404, 403, 200)),
    ("GET", "/v1/subscriptions/{sub}", None, (404, 404, 200)),
    ("DELETE", "/v1/subscriptions/{sub}", None, (404, 404, 200)),
    ("GET", "/v1/reports/{report}", None, (404, 404, 200)),
    ("PATCH", "/v1/reports/{report}", {"additional_info": "zorblax"}, (404, 404, 200)),
    ("PUT", "/v1/reports/{report}/files/{file}/content", b"zorblax report file\n", (404, 404, 204)),
    ("POST", "/v1/reports/{report}/validate", None, (404, 404, 200)),
    ("GET", "/v1/reports/{report}/export", None, (404, 404, 200)),
    ("POST", "/v1/reports/{report}/submit", None, (404, 404, 400)),  # the owner's org has no reporter details
    ("POST", "/v1/reports/{report}/retract", None, (404, 404, 200)),
    ("PUT", "/v1/report-credentials/{env}", {"username": "example-esp-1", "password": "zorblax-1"}, (200, 200, 200)),
    ("DELETE", "/v1/report-credentials/{env}", None, (404, 404, 204)),
    # Org ids are no secret (members list each other to share): only the hub operator (the owner) may act.
    ("POST", "/v1/orgs/{org}/suspension", {"reason": "placeholder"}, (403, 403, 200)),
    ("DELETE", "/v1/orgs/{org}/suspension", None, (403, 403, 409)),  # the org is not suspended
    ("GET", "/v1/checks/{check}", None, (404, 404, 200)),
    ("PUT", "/v1/checks/{check}/media", b"\x89PNG zorblax", (404, 404, 409)),  # the owner's quarantine is off
    ("DELETE", "/v1/rules/{rule}", None, (404, 404, 200)),
    ("DELETE", "/v1/suppressions/{supp}", None, (404, 404, 200)),
]


def _setup(hub: Hub) -> dict[str, Any]:
    lst = new_list(hub, visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    e = add(hub, lst["id"], ("pdq", "a" * 64), ("md5", md5(1)))
    key = hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json()
    # So the sharee and the owner both have feedback to withdraw.
    for who in ("sharee", "owner"):
        r = hub.client.put(
            f"/v1/entries/{e['id']}/feedback", json={"verdict": "confirm", "reason": "verified"}, headers=hub.auth(who)
        )
        assert r.status_code == 200
    report = _report(hub)
    orgs = {o["name"]: o["id"] for o in hub.client.get("/v1/orgs", headers=hub.auth("owner")).json()}
    return {
        "list": lst["id"],
        "entry": e["id"],
        "key": key["id"],
        "md5": md5(1),
        "sub": _subscription(hub),
        "report": report["id"],
        "file": report["files"][0]["id"],
        "env": "test",
        "org": orgs["sharee"],
        **_act(hub),
    }


def _report(hub: Hub) -> dict[str, Any]:
    """A draft report of the owner's org (and the org's credentials for the test environment)."""
    import hashlib

    content = b"zorblax report file\n"
    r = hub.client.put(
        "/v1/report-credentials/test",
        json={"username": "example-esp-1", "password": "zorblax-1"},
        headers=hub.auth("owner"),
    )
    assert r.status_code == 200, r.text
    r = hub.client.post(
        "/v1/reports",
        json={
            "uploader_id": "example-user-1",
            "files": [
                {
                    "file_name": "example-file-1.txt",
                    "hashes": [{"hash_type": "md5", "value": hashlib.md5(content).hexdigest()}],
                }
            ],
        },
        headers=hub.auth("owner"),
    )
    assert r.status_code == 201, r.text
    report: dict[str, Any] = r.json()
    return report


def _act(hub: Hub) -> dict[str, int]:
    """A check, a rule and a suppression of the owner's org (checks, rules and suppressions are never shared)."""
    auth = hub.auth("owner")
    body = {"content_id": "quuxvid", "hashes": [{"hash_type": "md5", "value": md5(1)}]}
    checked = hub.client.post("/v1/content", json=body, headers=auth).json()
    rule = hub.client.post("/v1/rules", json={"name": "r1", "actions": [{"type": "review"}]}, headers=auth).json()
    supp = hub.client.post("/v1/suppressions", json={"hash_type": "md5", "value": md5(2)}, headers=auth).json()
    return {"check": checked["check_id"], "rule": rule["id"], "supp": supp["id"]}


def _subscription(hub: Hub) -> int:
    """A subscription of the owner's org (made on the database: the API only lists, reads and removes them)."""
    from sharedhash.store.mirror import add_subscription
    from sharedhash.store.orgs import caller_for_org, get_org_by_name
    from sharedhash.store.secretbox import SecretBox

    db = hub.client.app.state.hub.db  # type: ignore[attr-defined]
    with db.writing() as s:
        caller = caller_for_org(get_org_by_name(s, "owner"))
        box = SecretBox.from_settings(hub.settings)
        return int(add_subscription(s, caller, "http://127.0.0.1:9", "shk_zorblax", 60, box=box).id)


@pytest.mark.parametrize(("method", "template", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_route_as_owner_sharee_stranger(
    hub: Hub, method: str, template: str, body: Any, expected: tuple[int, int, int]
) -> None:
    ids = _setup(hub)
    path = template.format(**ids)
    for who, status in zip(("stranger", "sharee", "owner"), expected, strict=True):
        kwargs: dict[str, Any] = {"headers": hub.auth(who)}
        if isinstance(body, bytes):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        r = hub.client.request(method, path, **kwargs)
        assert r.status_code == status, f"{who}: {r.status_code} {r.text}"
        if status == 404:
            assert r.json()["error"]["code"] == "not_found"
            # Nothing about the hidden object leaks into the answer.
            assert "main" not in r.text
            assert "owner" not in r.text


def test_matrix_covers_every_route_with_an_id(hub: Hub) -> None:
    spec = hub.client.get("/openapi.json").json()
    covered = {
        (
            m,
            t.replace("{list}", "{list_id}")
            .replace("{entry}", "{entry_id}")
            .replace("{key}", "{key_id}")
            .replace("{sub}", "{sub_id}")
            .replace("{report}", "{report_id}")
            .replace("{file}", "{file_id}")
            .replace("{env}", "{environment}")
            .replace("{org}", "{org_id}")
            .replace("{check}", "{check_id}")
            .replace("{rule}", "{rule_id}")
            .replace("{supp}", "{suppression_id}")
            .replace("{md5}", "{value}")
            .replace("/md5/", "/{hash_type}/"),
        )
        for m, t, _, _ in MATRIX
    }
    for path, methods in spec["paths"].items():
        if "{" in path:
            for method, operation in methods.items():
                if operation.get("security") == []:  # public by design (tests/server/test_deterrence_public.py)
                    continue
                if path.startswith("/v1/webhooks/"):  # every one: test_webhooks.py::test_other_orgs_endpoint_and_...
                    continue
                assert (method.upper(), path) in covered, f"{method.upper()} {path} is missing from the matrix"


def test_stranger_lookups_never_return_hidden_entries(hub: Hub) -> None:
    ids = _setup(hub)
    assert lookup(hub, ("md5", ids["md5"]), who="stranger") == []
    assert lookup(hub, ("pdq", "a" * 64), who="stranger", max_distance=63) == []
    assert len(lookup(hub, ("md5", ids["md5"]), who="sharee")) == 1


# The report pages (/ui/reports, session cookie + CSRF form field; not in the API schema): method, path template,
# form, expected status for (another org's admin, a moderator of the org, a lead of the org). A lead's action ends
# with a redirect (303) to the report page, or the page with the refusal.
UI_MATRIX: list[tuple[str, str, dict[str, str] | None, tuple[int, int, int]]] = [
    ("GET", "/ui/reports/{report}", None, (404, 404, 200)),
    ("GET", "/ui/reports/{report}/export", None, (404, 404, 200)),
    ("GET", "/ui/reports/{report}/state", None, (404, 404, 200)),
    ("POST", "/ui/reports/{report}/validate", {}, (404, 404, 200)),
    ("POST", "/ui/reports/{report}/fill", {}, (404, 404, 400)),  # the org has no pre-submit webhook
    ("POST", "/ui/reports/{report}/fetch", {}, (404, 404, 400)),  # the content has no media URL
    (
        "POST",
        "/ui/reports/{report}/edit",
        {"incident_type": "Child Sex Tourism", "incident_time": "2026-12-01T10:00:00", "environment": "test"},
        (404, 404, 303),
    ),
    ("POST", "/ui/reports/{report}/items", {"item_id": "{item2}"}, (404, 404, 303)),
    ("POST", "/ui/reports/{report}/files/{file}/content", {}, (404, 404, 400)),  # wrong bytes for the hashes
    ("POST", "/ui/reports/{report}/files/{file}/remove", {}, (404, 404, 400)),  # its last file: retract instead
    ("POST", "/ui/reports/{report}/submit", {}, (404, 404, 400)),  # no bytes for the file
    ("POST", "/ui/reports/{report}/retract", {}, (404, 404, 303)),
]


@pytest.mark.parametrize(
    ("method", "template", "form", "expected"), UI_MATRIX, ids=[f"{m} {p}" for m, p, _, _ in UI_MATRIX]
)
def test_report_page_as_stranger_moderator_lead(
    review_hub: ReviewHub, method: str, template: str, form: dict[str, str] | None, expected: tuple[int, int, int]
) -> None:
    from sqlalchemy import select

    from sharedhash.server.review import service as review
    from sharedhash.store.models import ReportFile

    state, org = review_hub.state, review_hub.orgs["quuxvid"]
    lead = person(state, org, "lea", role="lead")
    review_hub.add("quuxvid", "ann")
    review_hub.add("zorbnet", "eve", role="admin")
    first, second = queued(state.db, org, n=1), queued(state.db, org, n=2, uploader=None)  # second: not drafted
    review.decide(state, lead, first.item_id, "confirmed", "A1")
    review.decide(state, lead, second.item_id, "confirmed", "A2")
    with state.db.reading() as s:
        file = s.scalars(select(ReportFile).where(ReportFile.review_item_id == first.item_id)).one()
        report_id, file_id = file.report_id, file.id
    path = template.format(report=report_id, file=file_id)
    for login, status in zip(("eve", "ann", "lea"), expected, strict=True):
        client, csrf = review_hub.sign_in(login)
        if method == "GET":
            answer = client.get(path)
        elif path.endswith("/content"):
            answer = client.post(path, data={"csrf": csrf}, files={"content": ("x.png", b"zorblax", "image/png")})
        else:
            data = {k: v.format(item2=second.item_id) for k, v in (form or {}).items()}
            answer = client.post(path, data={"csrf": csrf, **data})
        assert answer.status_code == status, f"{login}: {answer.status_code} {answer.text[:300]}"
        if status == 404:
            assert "not_found" in answer.text
            assert "uploader-7" not in answer.text


def test_ui_matrix_covers_every_report_page_with_an_id(review_hub: ReviewHub) -> None:
    covered = {(m, t.replace("{report}", "{report_id}").replace("{file}", "{file_id}")) for m, t, _, _ in UI_MATRIX}
    for route in review_hub.app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/ui/reports/") and "{" in path:
            for method in getattr(route, "methods", set()) - {"HEAD"}:
                assert (method, path) in covered, f"{method} {path} is missing from UI_MATRIX"
