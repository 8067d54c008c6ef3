"""A moderator's decision reaches a second server: a real hub process (``sharedhash serve``) owns a list shared
with the org ``sharee``; the sharee's node mirrors it, checks content that matches a mirrored entry, and queues it
for review; a moderator confirms it in Chromium with one key; the node sends the verdict to the hub, whose entry
then shows the sharee's ``confirm``."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.server.accounts import service as accounts
from sharedhash.store.db import open_database
from sharedhash.store.mirror import add_subscription
from sharedhash.store.models import FeedbackOutbox, ReviewItem, Scope
from sharedhash.store.orgs import caller_for_org, create_key, create_org
from sharedhash.store.secretbox import SecretBox
from sharedhash.sync.feedback import send_pending_feedback
from sharedhash.sync.mirror import sync_from
from tests.support.chromium import ARGS, chromium_or_skip
from tests.support.live import start_hub_process, start_server
from tests.support.review import PASSWORD, review_settings
from tests.support.store import md5


def test_a_confirmation_in_the_browser_reaches_the_source_hub(tmp_path: Path) -> None:
    sync_api, chromium = chromium_or_skip()
    hub = start_hub_process(tmp_path)
    node_url = f"sqlite:///{tmp_path / 'node.db'}"
    settings = review_settings(tmp_path, node_url, index_follow_seconds=0.2)
    node_db = open_database(node_url)
    node = None
    try:
        owner = Client(hub.url, hub.keys["owner"])
        sharee_on_hub = Client(hub.url, hub.keys["sharee"])
        shared = owner.create_list("known-zorblax", visibility="shared", shares=[("sharee", "read")])
        listed = owner.add_entry(shared.id, [("md5", md5(41))], classification="A1")
        with node_db.writing() as s:
            org = create_org(s, "sharee", is_operator=True)
            node_key = create_key(s, org.id, frozenset({Scope.ADMIN})).token
        assert sync_from(node_db, sharee_on_hub).lists[0].added == 1
        with node_db.writing() as s:
            box = SecretBox.from_settings(settings)
            add_subscription(s, caller_for_org(org), hub.url, hub.keys["sharee"], 3600, box=box)
        accounts.add_person(
            node_db, settings, None, org_id=org.id, login="ann@sharee.test", role="moderator", password=PASSWORD
        )
        node = start_server(settings)
        with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {node_key}"}) as local:
            rule = local.post("/v1/rules", json={"name": "review-known", "actions": [{"type": "review"}]})
            assert rule.status_code == 201, rule.text
            deadline = time.monotonic() + 15
            n = 0
            while True:  # the node's index picks up the mirrored entry
                n += 1
                body = {"content_id": f"upload-{n}", "hashes": [{"hash_type": "md5", "value": md5(41)}]}
                checked = local.post("/v1/content", json=body)
                assert checked.status_code == 200, checked.text
                if checked.json()["matched"]:
                    break
                assert time.monotonic() < deadline, "the node never matched the mirrored entry"
                time.sleep(0.3)
        assert "review" in checked.json()["actions"]

        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"{node.url}/ui/sign-in")
                page.fill("input[name=login]", "ann@sharee.test")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/ui/queue")
                page.keyboard.press("n")
                page.wait_for_url("**/ui/items/*")
                assert "known-zorblax" in page.inner_text(".facts")
                page.keyboard.press("1")  # confirm, classification A1
                page.wait_for_url("**/ui/queue?empty=true")
            finally:
                browser.close()

        with node_db.reading() as s:
            (item,) = s.scalars(select(ReviewItem))
            assert (item.decision, item.classification) == ("confirmed", "A1")
        deadline = time.monotonic() + 30
        while True:  # the node's own loop may send it first
            send_pending_feedback(node_db, settings=settings)
            with node_db.reading() as s:
                states = [(o.state, o.verdict, o.source_entry_id) for o in s.scalars(select(FeedbackOutbox))]
            if states and states[0][0] == "sent":
                break
            assert time.monotonic() < deadline, f"the verdict did not reach the hub: {states}"
            time.sleep(0.5)
        assert states == [("sent", "confirm", listed.id)]
        on_hub = owner.get_entry(listed.id)
        assert on_hub.feedback is not None
        assert on_hub.feedback.confirm == 1
        assert on_hub.feedback.dispute == 0
        owner.close()
        sharee_on_hub.close()
    finally:
        if node is not None:
            node.stop()
        node_db.dispose()
        hub.stop()
