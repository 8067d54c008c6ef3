"""Health, readiness, OpenAPI, authentication and the standard error body."""

from __future__ import annotations

from tests.support.api import assert_error, new_list
from tests.support.hub import Hub


def test_health_ready_and_openapi_need_no_key(hub: Hub) -> None:
    assert hub.client.get("/healthz").json() == {"status": "ok"}
    assert hub.client.get("/readyz").status_code == 200
    spec = hub.client.get("/openapi.json").json()
    assert "/v1/lookup" in spec["paths"]
    assert "/v1/hash-lists/{list_id}/feed" in spec["paths"]


def test_every_v1_route_needs_a_valid_key(hub: Hub) -> None:
    spec = hub.client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        concrete = path.replace("{list_id}", "1").replace("{entry_id}", "1").replace("{key_id}", "1")
        concrete = concrete.replace("{hash_type}", "md5").replace("{value}", "0" * 32)
        for method, operation in methods.items():
            if operation.get("security") == []:  # documented as public: public deterrence checks, help links
                continue
            r = hub.client.request(method.upper(), concrete)
            assert_error(r, 401, "unauthenticated")
            r = hub.client.request(method.upper(), concrete, headers={"Authorization": "Bearer shk_0000000000000000_x"})
            assert_error(r, 401, "unauthenticated")


def test_revoked_and_expired_keys(hub: Hub) -> None:
    r = hub.client.post("/v1/keys", json={"scopes": ["read"], "name": "temp"}, headers=hub.auth("owner"))
    assert r.status_code == 201
    key = r.json()
    temp = {"Authorization": f"Bearer {key['key']}"}
    assert hub.client.get("/v1/hash-lists", headers=temp).status_code == 200
    listed = hub.client.get("/v1/keys", headers=hub.auth("owner")).json()
    assert all("key" not in k for k in listed)
    assert any(k["id"] == key["id"] and k["last_used_at"] for k in listed)
    assert hub.client.delete(f"/v1/keys/{key['id']}", headers=hub.auth("owner")).status_code == 200
    assert_error(hub.client.get("/v1/hash-lists", headers=temp), 401, "key_revoked")
    r = hub.client.post(
        "/v1/keys", json={"scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}, headers=hub.auth("owner")
    )
    assert_error(r, 400, "invalid_input")


def test_errors_have_the_standard_body(hub: Hub) -> None:
    assert_error(hub.client.get("/v1/nowhere", headers=hub.auth("owner")), 404, "route_not_found")
    assert_error(hub.client.put("/v1/hash-lists", headers=hub.auth("owner")), 405, "method_not_allowed")
    r = hub.client.post("/v1/hash-lists", json={"name": ""}, headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_request")
    assert r.json()["error"]["errors"][0]["loc"] == ["body", "name"]
    r = hub.client.post("/v1/hash-lists", content=b"{not json", headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_request")
    r = hub.client.post("/v1/hash-lists", json={"name": "x", "colour": "red"}, headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_request")
    assert_error(hub.client.get("/v1/hash-lists/abc", headers=hub.auth("owner")), 422, "invalid_request")


def test_scopes_are_enforced(hub: Hub) -> None:
    lst = new_list(hub)
    body = {"hashes": [{"hash_type": "md5", "value": "0" * 32}]}
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/entries", json=body, headers=hub.auth("owner_read"))
    assert_error(r, 403, "permission_denied")
    r = hub.client.post("/v1/hash-lists", json={"name": "x"}, headers=hub.auth("owner_contribute"))
    assert_error(r, 403, "permission_denied")
    assert_error(hub.client.get("/v1/keys", headers=hub.auth("owner_contribute")), 403, "permission_denied")
    assert_error(hub.client.get("/v1/audit", headers=hub.auth("owner_read")), 403, "permission_denied")
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/entries", json=body, headers=hub.auth("owner_contribute"))
    assert r.status_code == 201


def test_request_body_limit(hub: Hub) -> None:
    big = b'{"name": "' + b"x" * (hub.settings.max_request_bytes + 10) + b'"}'
    r = hub.client.post("/v1/hash-lists", content=big, headers=hub.auth("owner") | {"Content-Type": "application/json"})
    assert_error(r, 413, "limit_exceeded")
    # The fast paths (lookup, deterrence check) read the body themselves and answer the same.
    for path in ("/v1/lookup", "/v1/deterrence/check"):
        r = hub.client.post(path, content=big, headers=hub.auth("owner") | {"Content-Type": "application/json"})
        assert_error(r, 413, "limit_exceeded")


def test_orgs_and_operator(hub: Hub) -> None:
    assert hub.client.get("/v1/orgs/me", headers=hub.auth("sharee")).json()["name"] == "sharee"
    names = [o["name"] for o in hub.client.get("/v1/orgs", headers=hub.auth("sharee")).json()]
    assert names == ["owner", "sharee", "stranger"]
    assert_error(hub.client.post("/v1/orgs", json={"name": "n"}, headers=hub.auth("sharee")), 403, "permission_denied")
    r = hub.client.post("/v1/orgs", json={"name": "plimmerbolt"}, headers=hub.auth("owner"))
    assert r.status_code == 201
    token = r.json()["admin_key"]["key"]
    assert hub.client.get("/v1/orgs/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "plimmerbolt"
    assert_error(hub.client.post("/v1/orgs", json={"name": "owner"}, headers=hub.auth("owner")), 409, "name_taken")


def test_nul_characters_are_refused_not_a_server_error(hub: Hub) -> None:
    # Found by schemathesis: PostgreSQL cannot store NUL in text, so it must be refused before the database.
    assert_error(hub.client.post("/v1/orgs", json={"name": "\u0000"}, headers=hub.auth("owner")), 422, "invalid_text")
    r = hub.client.post("/v1/hash-lists", json={"name": "a\u0000b"}, headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_text")
    lst = new_list(hub)
    line = b'{"hashes": [{"hash_type": "md5", "value": "' + b"0" * 32 + b'"}], "labels": ["zorb\\u0000lax"]}\n'
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=line, headers=hub.auth("owner"))
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "invalid_text"
