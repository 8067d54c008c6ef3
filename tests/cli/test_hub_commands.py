"""The hub commands end to end: CLI -> client -> a live hub on loopback; --json output and clean errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing.samples import make_sample
from sharedhash.settings import get_settings
from sharedhash.store.db import open_database
from sharedhash.store.feedback import Reason, enqueue_for_source, give_feedback
from sharedhash.store.models import Entry, Verdict
from sharedhash.store.orgs import caller_for_org, get_org_by_name
from tests.support.cli import run
from tests.support.live import LiveServer

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_contribute_lookup_remove(hub: tuple[LiveServer, str], tmp_path: Path) -> None:
    assert run("org", "me", "--json")["name"] == "demo"
    lst = run("list", "create", "main", "--visibility", "members", "--pdq-threshold", "20", "--json")
    list_id = str(lst["id"])
    added = run(
        "entry",
        "add",
        list_id,
        "--hash",
        f"md5:{MD5}",
        "--hash",
        f"pdq:{PDQ}",
        "--classification",
        "A1",
        "--label",
        "zorblax",
        "--json",
    )
    assert added["created"]
    found = run("lookup", f"md5:{MD5}", f"pdq:{PDQ[:-1]}0", "--json")
    assert [(m["query"], m["distance"]) for m in found["matches"]] == [(0, 0), (1, 1)]
    run("entry", "feedback", str(added["id"]), "confirm", "--reason", "verified", "--json")
    assert run("entry", "show", str(added["id"]), "--json")["feedback"] == {"confirm": 1, "dispute": 0}
    assert run("entry", "remove", str(added["id"]), "--hash", f"md5:{MD5}", "--json")["removed"] == "hash"
    assert run("lookup", f"md5:{MD5}", "--json", code=1)["matches"] == []
    feed = run("list", "feed", list_id, "--json")
    # The confirmation put the entry on the feed again (with its counts, for the mirrors), then the hash removal.
    assert [c["kind"] for c in feed["changes"]] == ["add", "update", "update"]
    assert feed["changes"][1]["entry"]["feedback"] == {"confirm": 1, "dispute": 0}


def test_import_export_and_keys(hub: tuple[LiveServer, str], tmp_path: Path) -> None:
    list_id = str(run("list", "create", "main", "--json")["id"])
    source = tmp_path / "in.csv"
    source.write_text(f"md5,classification,labels\n{MD5},B2,quuxvid\n")
    assert run("list", "import", list_id, str(source), "--json")["created"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hashes": [{"hash_type": "md5", "value": "zz"}]}\n')
    report = run("list", "import", list_id, str(bad), "--json", code=1)
    assert report["errors"][0]["code"] == "invalid_hash"
    out = tmp_path / "out.jsonl"
    assert run("list", "export", list_id, "--output", str(out), "--json")["lines"] == 1
    assert json.loads(out.read_text())["classification"] == "B2"
    key = run("key", "create", "--scope", "read", "--name", "ci", "--json")
    assert key["key"].startswith("shk_")
    assert len(run("key", "list", "--json")) == 2
    assert run("key", "revoke", str(key["id"]), "--json")["revoked_at"]


def test_errors_are_clean(hub: tuple[LiveServer, str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("lookup", "md5:nothex", "--json", code=2)["error"]["code"] == "invalid_hash"
    assert run("lookup", "nocolon", "--json", code=2)["error"]["code"] == "invalid_input"
    assert run("list", "show", "999", "--json", code=1)["error"]["code"] == "not_found"
    monkeypatch.setenv("SHAREDHASH_API_KEY", "shk_0000000000000000_nope")
    get_settings.cache_clear()
    assert run("list", "ls", "--json", code=1)["error"]["code"] == "unauthenticated"
    result = CliRunner().invoke(app, ["list", "ls", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "hub_unreachable" in result.output
    assert "Traceback" not in result.output


def test_lookup_exit_codes_and_files(hub: tuple[LiveServer, str], tmp_path: Path) -> None:
    """grep's convention: 0 when something matched, 1 when nothing did, 2 on an error; every --file is looked up."""
    listed, other = tmp_path / "shapes.png", tmp_path / "rings.png"
    make_sample("shapes", 320, 240).save(listed)
    make_sample("rings", 320, 240).save(other)
    list_id = str(run("list", "create", "main", "--json")["id"])
    md5 = hashlib.md5(listed.read_bytes()).hexdigest()
    run("entry", "add", list_id, "--hash", f"md5:{md5}", "--json")
    assert run("lookup", f"md5:{md5}", "--json")["matches"]
    assert run("lookup", f"md5:{MD5}", "--json", code=1)["matches"] == []
    both = run("lookup", "--file", str(other), "--file", str(listed), "--json")
    assert [bool(r["matches"]) for r in both] == [False, True]  # one answer per file, in the order given
    assert run("lookup", "--file", str(other), "--json", code=1)["matches"] == []
    # A missing path or a folder: a clear message and exit 2, never a traceback, and nothing uploaded.
    missing = run("lookup", "--file", str(listed), "--file", str(tmp_path / "absent.png"), "--json", code=2)
    assert missing["error"]["code"] == "unreadable_path"
    assert "absent.png" in missing["error"]["message"]
    (tmp_path / "folder").mkdir()
    folder = run("lookup", "--file", str(tmp_path / "folder"), "--json", code=2)["error"]
    assert "is a folder" in folder["message"]
    human = CliRunner().invoke(app, ["lookup", "--file", str(tmp_path / "folder")])
    assert human.exit_code == 2
    assert "is a folder" in " ".join(human.output.split())
    assert "Traceback" not in human.output
    text = CliRunner().invoke(app, ["lookup", "--file", str(other), "--file", str(listed)])
    assert text.exit_code == 0
    assert "no match for" in text.output
    assert "0/0" in text.output  # the table of the file that matched


def test_sync_command(hub: tuple[LiveServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server, key = hub
    list_id = str(run("list", "create", "main", "--json")["id"])
    entry_id = run("entry", "add", list_id, "--hash", f"md5:{MD5}", "--json")["id"]
    node_url = f"sqlite:///{tmp_path / 'node.db'}"
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", node_url)
    get_settings.cache_clear()
    report = run("sync", "--from", server.url, "--api-key", key, "--org", "node", "--json")
    assert report["changed"] == 1
    assert report["lists"][0]["name"] == "demo/main"
    # A verdict given on the node about the mirrored entry goes to the hub with the next sync by hand (no
    # subscription holds a key for it yet).
    node_db = open_database(node_url)
    try:
        with node_db.writing() as s:
            caller = caller_for_org(get_org_by_name(s, "node"))
            mirrored = s.scalars(select(Entry.id).where(Entry.source_entry_id == entry_id)).one()
            given = give_feedback(s, caller, mirrored, Verdict.DISPUTE, Reason.FALSE_POSITIVE, "placeholder")
            enqueue_for_source(s, caller, mirrored, verdict=given.verdict, reason=given.reason, note=given.note)
    finally:
        node_db.dispose()
    again = run("sync", "--from", server.url, "--api-key", key, "--org", "node", "--json")
    assert again["changed"] == 0
    assert again["feedback"] == {"sent": 1, "dropped": 0, "waiting": 0}
    monkeypatch.delenv("SHAREDHASH_DATABASE_URL")
    get_settings.cache_clear()
    assert run("entry", "show", str(entry_id), "--json")["feedback"] == {"confirm": 0, "dispute": 1}
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", node_url)
    get_settings.cache_clear()
    sub = run("sync", "subscribe", "--from", server.url, "--api-key", key, "--org", "node", "--json")
    assert sub["interval"] == 60
    assert run("sync", "--json", code=1)["error"]["code"] == "unauthenticated"


def test_list_delete(hub: tuple[LiveServer, str]) -> None:
    list_id = str(run("list", "create", "main", "--json")["id"])
    run("entry", "add", list_id, "--hash", f"md5:{MD5}", "--json")
    assert run("list", "delete", list_id, "--json", code=1)["error"]["code"] == "invalid_input"  # --yes needed
    gone = run("list", "delete", list_id, "--yes", "--json")
    assert gone["deleted_at"]
    assert run("lookup", f"md5:{MD5}", "--json", code=1)["matches"] == []
    assert run("list", "delete", list_id, "--yes", "--json", code=1)["error"]["code"] == "not_found"
    again = str(run("list", "create", "main", "--json")["id"])  # the name is free again
    aborted = CliRunner().invoke(app, ["list", "delete", again], input="n\n")
    assert aborted.exit_code == 1
    assert run("list", "show", again, "--json")["deleted_at"] is None
