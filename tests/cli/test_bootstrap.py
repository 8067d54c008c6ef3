"""A node bootstrapped by ``sync`` is usable, a local operator can issue keys, and subscriptions have a lifecycle
(list, show, remove, no duplicates, a minimum interval), through the CLI and the API, against a live hub."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sharedhash.settings import get_settings
from sharedhash.store.db import open_database
from sharedhash.store.models import AuditEvent
from sharedhash.store.orgs import authenticate
from sharedhash.sync.scheduler import run_due_subscriptions
from tests.support.cli import run
from tests.support.hub import make_settings
from tests.support.live import LiveServer, start_server

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _use_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI's local-database commands at a fresh node database."""
    url = f"sqlite:///{tmp_path / 'node.db'}"
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path / "node-data"))
    get_settings.cache_clear()
    return url


def test_sync_into_a_fresh_node_creates_a_usable_org(
    hub: tuple[LiveServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, key = hub
    list_id = str(run("list", "create", "main", "--json")["id"])
    run("entry", "add", list_id, "--hash", f"md5:{MD5}", "--json")
    node_url = _use_node(tmp_path, monkeypatch)
    key_file = tmp_path / "hub.key"
    key_file.write_text(key + "\n")
    # --require-org: a missing local org is a clear error, and nothing is created.
    refused = run("sync", "--from", server.url, "--api-key-file", str(key_file), "--require-org", "--json", code=1)
    assert refused["error"]["code"] == "not_found"
    assert "no local org named 'demo'" in refused["error"]["message"]
    assert run("org", "list", "--json") == []
    # Otherwise the org is created with an admin key, printed once; the key works on the node.
    first = run("sync", "--from", server.url, "--api-key-file", str(key_file), "--json")
    assert (first["org"], first["org_created"], first["changed"]) == ("demo", True, 1)
    token = first["api_key"]
    node_db = open_database(node_url)
    try:
        with node_db.reading() as session:
            caller, _ = authenticate(session, token)
            assert caller.org_name == "demo"
            assert caller.is_operator  # the node's first org, as with `org create`
        # The remote key from the environment; the second sync does not print a key again.
        monkeypatch.setenv("SHAREDHASH_SYNC_API_KEY", key)
        again = run("sync", "--from", server.url, "--json")
        assert again["org_created"] is False
        assert "api_key" not in again
        # `org create` of that name says what to do instead of failing obscurely.
        taken = run("org", "create", "demo", "--json", code=1)["error"]
        assert taken["code"] == "name_taken"
        assert "sharedhash key create --org 'demo'" in taken["hint"]
        # The local operator issues a new admin key (a lost first key is recoverable), audited.
        issued = run("key", "create", "--org", "demo", "--name", "recovered", "--json")
        assert issued["scopes"] == ["admin"]
        assert issued["key"].startswith("shk_")
        with node_db.reading() as session:
            assert authenticate(session, issued["key"])[0].org_name == "demo"
            events = session.scalars(select(AuditEvent).where(AuditEvent.action == "key.create")).all()
            assert [e.detail.get("by") for e in events] == ["sync", "local operator"]
            assert all(issued["key"] not in str(e.detail) + e.target for e in events)
        read_only = run("key", "create", "--org", "demo", "--scope", "read", "--json")
        assert read_only["scopes"] == ["read"]
        assert run("key", "create", "--org", "nobody", "--json", code=1)["error"]["code"] == "not_found"
        both = run("key", "create", "--org", "demo", "--url", server.url, "--json", code=1)["error"]
        assert both["code"] == "invalid_input"
    finally:
        node_db.dispose()
    # Key sources: never two at once, an empty file is named.
    clash = run("sync", "--from", server.url, "--api-key", key, "--api-key-file", str(key_file), "--json", code=1)
    assert "not both" in clash["error"]["message"]
    key_file.write_text("\n")
    assert (
        "is empty"
        in run("sync", "--from", server.url, "--api-key-file", str(key_file), "--json", code=1)["error"]["message"]
    )
    missing = run("sync", "--from", server.url, "--api-key-file", str(tmp_path / "absent"), "--json", code=1)
    assert missing["error"]["code"] == "unreadable_path"


def test_subscription_lifecycle(hub: tuple[LiveServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server, key = hub
    run("list", "create", "main", "--json")
    node_url = _use_node(tmp_path, monkeypatch)
    monkeypatch.setenv("SHAREDHASH_SYNC_API_KEY", key)
    # The minimum interval is enforced with a clear message (it used to be silently 5 s).
    short = run("sync", "subscribe", "--from", server.url, "--org", "node", "--interval", "2", "--json", code=1)
    assert short["error"]["code"] == "invalid_input"
    assert "5 to 604800 seconds, not 2" in short["error"]["message"]
    sub = run("sync", "subscribe", "--from", server.url + "/", "--org", "node", "--interval", "30", "--json")
    assert (sub["interval"], sub["org_created"]) == (30, True)
    node_key = sub["api_key"]
    # One subscription per hub and org: a duplicate is refused with its own code.
    dup = run("sync", "subscribe", "--from", server.url, "--org", "node", "--json", code=1)["error"]
    assert dup["code"] == "subscription_exists"
    assert f"subscription {sub['subscription']}" in dup["message"]
    (listed,) = [run("sync", "subscriptions", "--json")]
    assert (listed["id"], listed["org"], listed["from"]) == (sub["subscription"], "node", server.url)
    assert listed["last_run_at"] is None
    assert listed["lag_seconds"] is None
    node_db = open_database(node_url)
    try:
        run_due_subscriptions(node_db, settings=get_settings())
    finally:
        node_db.dispose()
    shown = run("sync", "show", str(sub["subscription"]), "--json")
    assert shown["last_error"] is None
    assert shown["last_run_at"] is not None
    assert 0 <= shown["lag_seconds"] < 60
    assert key not in str(shown)
    # The API: the org admin of the node lists, reads and removes; ids out of range are a 422, not a 500.
    node = start_server(make_settings(tmp_path, node_url))
    try:
        with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {node_key}"}) as api:
            (one,) = api.get("/v1/subscriptions").json()
            assert one["from"] == server.url
            assert one["last_error"] is None
            assert api.get(f"/v1/subscriptions/{one['id']}").json()["lag_seconds"] is not None
            huge = api.get("/v1/subscriptions/99999999999999999999999")
            assert huge.status_code == 422
            assert huge.json()["error"]["code"] == "invalid_request"
            assert api.get("/v1/subscriptions/424242").json()["error"]["code"] == "not_found"
            assert api.delete(f"/v1/subscriptions/{one['id']}").status_code == 200
            assert api.get("/v1/subscriptions").json() == []
            assert api.get(f"/v1/subscriptions/{one['id']}").status_code == 404
    finally:
        node.stop()
    # The CLI removes one too (the local operator's view of every org).
    again = run("sync", "subscribe", "--from", server.url, "--org", "node", "--json")
    assert "api_key" not in again
    assert run("sync", "unsubscribe", str(again["subscription"]), "--json")["removed"] is True
    assert run("sync", "subscriptions", "--json") == []
    assert run("sync", "unsubscribe", str(again["subscription"]), "--json", code=1)["error"]["code"] == "not_found"
