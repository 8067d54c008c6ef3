"""``sharedhash dispute list/show/resolve/policy`` against a live hub (the list owner's side of disputes)."""

from __future__ import annotations

from sharedhash.client import Client
from tests.support.cli import run
from tests.support.live import LiveServer

MD5 = "0123456789abcdef0123456789abcdef"


def test_dispute_commands(hub: tuple[LiveServer, str]) -> None:
    server, _ = hub
    other_key = run("org", "create", "other", "--json")["api_key"]
    list_id = run("list", "create", "main", "--visibility", "members", "--json")["id"]
    entry_id = run("entry", "add", str(list_id), "--hash", f"md5:{MD5}", "--json")["id"]
    with Client(server.url, other_key) as other:
        other.give_feedback(entry_id, "dispute", "wrong_classification", "placeholder note")
    assert run("dispute", "policy", str(list_id), "--json") == {"list_id": list_id, "quarantine_after": None}
    assert run("dispute", "policy", str(list_id), "--quarantine-after", "3", "--json")["quarantine_after"] == 3
    (item,) = [run("dispute", "list", "--json")]
    assert (item["entry_id"], item["open_disputes"]) == (entry_id, 1)
    shown = run("dispute", "show", str(entry_id), "--json")
    assert [(v["org"], v["reason"], v["note"]) for v in shown["verdicts"]] == [
        ("other", "wrong_classification", "placeholder note")
    ]
    assert run("dispute", "resolve", str(entry_id), "shrug", "--json", code=1)["error"]["code"] == "invalid_input"
    kept = run("dispute", "resolve", str(entry_id), "keep", "--reply", "it stays", "--json")
    assert (kept["action"], kept["reply"]) == ("keep", "it stays")
    assert run("dispute", "list", "--json") == []
    removed = run("dispute", "resolve", str(entry_id), "remove", "--reason", "wrong_classification", "--json")
    assert (removed["action"], removed["reason"]) == ("remove", "wrong_classification")
    assert run("lookup", f"md5:{MD5}", "--json", code=1)["matches"] == []
