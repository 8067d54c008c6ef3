"""The local operator suspends and reinstates an org (``sharedhash org suspend/reinstate``): audited, its keys stop
working within one follower round of the running hub, and a node syncing its shares shows them ``access_lost``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.hub_errors import OrgSuspendedError
from sharedhash.settings import get_settings
from sharedhash.store.db import open_database
from sharedhash.store.models import AuditEvent
from tests.support.cli import run
from tests.support.live import LiveServer

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def test_suspend_and_reinstate(hub: tuple[LiveServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server, key = hub
    monkeypatch.setenv("SHAREDHASH_SYNC_API_KEY", key)
    hub_url = get_settings().database_url
    assert hub_url is not None
    other_key = run("org", "create", "other", "--json")["api_key"]
    other = Client(server.url, other_key)
    shared = other.create_list("theirs", visibility="shared", shares=[("demo", "read")])
    other.add_entry(shared.id, [("md5", MD5)])

    # A node of demo mirrors the list (the CLI's sync, on a database of its own).
    node_db_url = f"sqlite:///{tmp_path / 'node.db'}"
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", node_db_url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path / "node-data"))
    get_settings.cache_clear()
    first = run("sync", "--from", server.url, "--org", "node", "--json")
    assert [(r["name"], r["status"], r["added"]) for r in first["lists"]] == [("other/theirs", "active", 1)]

    # Back on the hub's database: suspend the org.
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", hub_url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert run("org", "suspend", "nobody", "--json", code=1)["error"]["code"] == "not_found"
    shown = run("org", "suspend", "other", "--reason", "placeholder", "--json")
    assert (shown["org"], shown["suspended"], shown["reason"]) == ("other", True, "placeholder")
    assert run("org", "suspend", "other", "--json", code=1)["error"]["code"] == "conflict"
    assert {o["name"]: o["suspended"] for o in run("org", "list", "--json")} == {"demo": False, "other": True}
    # The running hub sees another process's suspension within one follower round.
    deadline = time.monotonic() + 10
    while True:
        try:
            other.lists()
        except OrgSuspendedError:
            break
        assert time.monotonic() < deadline, "a suspended org's key still works"
        time.sleep(0.1)

    # The node's next sync purges the mirror and shows why.
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", node_db_url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path / "node-data"))
    get_settings.cache_clear()
    second = run("sync", "--from", server.url, "--org", "node", "--json")
    assert [(r["name"], r["status"], r["reason"], r["purged"]) for r in second["lists"]] == [
        ("other/theirs", "access_lost", "owner_suspended", 1)
    ]

    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", hub_url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    back = run("org", "reinstate", "other", "--json")
    assert (back["suspended"], back["reinstated_at"] is not None) == (False, True)
    assert run("org", "reinstate", "other", "--json", code=1)["error"]["code"] == "conflict"
    deadline = time.monotonic() + 10
    while True:
        try:
            assert [x.name for x in other.lists()] == ["theirs"]
            break
        except OrgSuspendedError:
            assert time.monotonic() < deadline, "a reinstated org's key does not work"
            time.sleep(0.1)
    db = open_database(hub_url)
    try:
        with db.reading() as s:
            events = [
                (e.action, e.target, e.detail.get("by"))
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("org.%")))
            ]
    finally:
        db.dispose()
    assert ("org.suspend", "other", "local operator") in events
    assert ("org.reinstate", "other", "local operator") in events
    other.close()
