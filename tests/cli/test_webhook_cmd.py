"""``sharedhash webhook``: endpoints, deliveries and redelivery through a live hub that delivers to a real
receiver; bad input ends with a message and a non-zero exit."""

from __future__ import annotations

import os
from typing import Any

from sharedhash.store.db import open_database
from tests.support.cli import run
from tests.support.webhooks import Receiver, all_finished, wait_for, write_events


def test_endpoints_deliveries_and_redelivery(webhook_cli_hub: tuple[Any, str], receiver: Receiver) -> None:
    made = run("webhook", "add", "blocks", receiver.url, "--json")
    assert made["secret"].startswith("whsec_")
    receiver.secrets = [made["secret"]]
    endpoint = str(made["id"])
    assert run("webhook", "list", "--json")["name"] == "blocks"
    db = open_database(os.environ["SHAREDHASH_DATABASE_URL"], migrate=False)
    try:
        ids = write_events(db, "demo", "blocks", [("upload-1", {"n": 1}), ("upload-1", {"n": 2})])
        wait_for(lambda: all_finished(db), what="delivery")
        assert receiver.delivered_ids() == ids
        listed = run("webhook", "deliveries", endpoint, "--json")
        assert [e["webhook_id"] for e in listed] == ids[::-1]
        detail = run("webhook", "deliveries", endpoint, "--event", str(listed[0]["id"]), "--json")
        assert [a["outcome"] for a in detail["attempt_log"]] == ["delivered"]
        again = run("webhook", "redeliver", endpoint, str(listed[0]["id"]), "--json")
        assert again["webhook_id"] == ids[1]
        wait_for(lambda: all_finished(db), what="redelivery")
        assert receiver.delivered_ids() == [*ids, ids[1]]
        assert run("webhook", "redeliver", endpoint, "--all-dead", "--json") == {"redelivered": 0}
        assert run("webhook", "pause", endpoint, "--json")["paused"] is True
        assert run("webhook", "resume", endpoint, "--json")["paused"] is False
        rotated = run("webhook", "rotate-secret", endpoint, "--overlap", "60", "--json")
        assert rotated["secret"] != made["secret"]
        assert rotated["previous_secret_until"] is not None
        assert run("webhook", "show", endpoint, "--json")["events"]["delivered"] == 2
        summary = run("webhook", "worker", "--seconds", "0.3", "--json")
        assert set(summary) == {"attempts", "delivered", "failed", "dead"}
        assert run("webhook", "remove", endpoint, "--json")["name"] == "blocks"
    finally:
        db.dispose()
    gone = run("webhook", "show", endpoint, "--json", code=1)
    assert gone["error"]["code"] == "not_found"


def test_bad_input_is_refused_with_a_message(webhook_cli_hub: tuple[Any, str]) -> None:
    refused = run("webhook", "add", "x", "http://10.0.0.1/hook", "--json", code=1)
    assert refused["error"]["code"] == "invalid_webhook_url"
    assert run("webhook", "deliveries", "1", "--state", "lost", "--json", code=1)["error"]["code"] == "invalid_input"
    both = run("webhook", "redeliver", "1", "--json", code=1)
    assert "--all-dead" in both["error"]["message"]
