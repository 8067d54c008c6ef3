"""Content checks: matching, recording, the safe default, idempotency, rules deciding webhooks and reviews, the
suppression list, batches and their limit, files, and what other orgs see (404)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
from PIL import Image

from sharedhash.hashing.samples import make_sample
from sharedhash.server.act.events import match_event_schema
from sharedhash.store.models import ContentCheck, ContentMatch, OutboxEvent, ReviewItem, ReviewQueue
from tests.support.act import add_endpoint, add_rule, check
from tests.support.api import add, assert_error, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of


def _rows(hub: Hub, model: Any) -> list[Any]:
    from sqlalchemy import select

    with state_of(hub).db.reading() as s:
        rows = list(s.scalars(select(model).order_by(model.id)))
        s.expunge_all()
        return rows


def test_no_rules_records_the_match_and_sends_it_to_review(act_hub: Hub) -> None:
    lst = new_list(act_hub, pdq_threshold=10)
    entry = add(act_hub, lst["id"], ("pdq", pdq(1)), classification="A1", labels=["zorblax"])
    answer = check(act_hub, "post-1", ("pdq", flip(pdq(1), 4)), ("md5", md5(7)), content_type="image")
    assert answer["matched"] is True
    assert answer["actions"] == ["review"]
    assert answer["replayed"] is False
    (m,) = answer["matches"]
    assert (m["entry_id"], m["list_id"], m["distance"], m["rule"]) == (entry["id"], lst["id"], 4, None)
    assert (m["classification"], m["labels"], m["retroactive"]) == ("A1", ["zorblax"], False)
    (item,) = _rows(act_hub, ReviewItem)
    (queue,) = _rows(act_hub, ReviewQueue)
    assert (item.check_id, item.match_id, queue.name) == (answer["check_id"], m["match_id"], "default")
    assert _rows(act_hub, OutboxEvent) == []  # nothing is sent (or blocked) without a rule


def test_no_match_is_recorded_without_actions(act_hub: Hub) -> None:
    new_list(act_hub)
    answer = check(act_hub, "post-2", ("md5", md5(9)))
    assert (answer["matched"], answer["actions"], answer["matches"]) == (False, [], [])
    (row,) = _rows(act_hub, ContentCheck)
    assert row.hashes == [{"type": "md5", "value": md5(9)}]
    assert _rows(act_hub, ReviewItem) == []


def test_a_retry_answers_with_the_first_check_and_writes_nothing(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(1)))
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="block",
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}, {"type": "review"}],
    )
    first = check(act_hub, "post-3", ("md5", md5(1)))
    again = check(act_hub, "post-3", ("md5", md5(1)))
    assert again["replayed"] is True
    assert again["check_id"] == first["check_id"]
    assert again["actions"] == first["actions"] == ["block", "review"]
    assert [m["match_id"] for m in again["matches"]] == [m["match_id"] for m in first["matches"]]
    assert len(_rows(act_hub, ContentCheck)) == 1
    assert len(_rows(act_hub, ContentMatch)) == 1
    assert len(_rows(act_hub, OutboxEvent)) == 1
    assert len(_rows(act_hub, ReviewItem)) == 1
    # Other hashes of the same content id are another check.
    assert check(act_hub, "post-3", ("md5", md5(2)))["check_id"] != first["check_id"]


def test_rules_decide_webhooks_with_a_documented_payload(act_hub: Hub) -> None:
    lst = new_list(act_hub, name="known")
    entry = add(act_hub, lst["id"], ("pdq", pdq(2)), classification="A1")
    other = new_list(act_hub, name="other")
    add(act_hub, other["id"], ("pdq", pdq(2)), classification="B2")
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="block-a1",
        conditions={"list_names": ["known"], "classifications": ["A1"], "max_distance": 8},
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}],
        stop=True,
    )
    add_rule(act_hub, name="ignore-rest", actions=[{"type": "suppress"}])
    answer = check(
        act_hub,
        "post-4",
        ("pdq", flip(pdq(2), 2)),
        content_type="image",
        uploader_id="u-17",
        url="https://platform.example/p/4",
        labels=["upload"],
    )
    assert answer["actions"] == ["block"]
    by_list = {m["list_id"]: m for m in answer["matches"]}
    assert (by_list[lst["id"]]["rule"], by_list[lst["id"]]["actions"]) == ("block-a1", ["block"])
    assert (by_list[other["id"]]["rule"], by_list[other["id"]]["actions"]) == ("ignore-rest", [])
    assert by_list[other["id"]]["suppressed"] is True
    (event,) = _rows(act_hub, OutboxEvent)
    assert (event.event_type, event.ordering_key) == ("match.block", "post-4")
    jsonschema_rs.validate(match_event_schema(), event.payload)
    data = event.payload["data"]
    assert data["entry"] == {"id": entry["id"], "classification": "A1", "labels": []}
    assert data["content"]["uploader_id"] == "u-17"
    assert (data["rule"], data["distance"], data["retroactive"]) == ("block-a1", 2, False)
    text = json.dumps(event.payload)
    assert pdq(2) not in text
    assert flip(pdq(2), 2) not in text
    assert _rows(act_hub, ReviewItem) == []  # a rule fired: no default review


def test_the_suppression_list_wins_over_every_rule(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(5)))
    add_endpoint(act_hub, "hooks")
    add_rule(act_hub, name="block", actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}])
    r = act_hub.client.post(
        "/v1/suppressions",
        json={"hash_type": "md5", "value": md5(5), "reason": "a logo"},
        headers=act_hub.auth("owner"),
    )
    assert r.status_code == 201, r.text
    answer = check(act_hub, "post-5", ("md5", md5(5)))
    assert (answer["matched"], answer["actions"]) == (True, [])
    assert (answer["matches"][0]["rule"], answer["matches"][0]["suppressed"]) == ("suppression-list", True)
    assert _rows(act_hub, OutboxEvent) == []
    assert _rows(act_hub, ReviewItem) == []
    # Another org's suppression does not count; removing it makes the rule act again.
    assert (
        act_hub.client.delete(f"/v1/suppressions/{r.json()['id']}", headers=act_hub.auth("stranger")).status_code == 404
    )
    assert act_hub.client.delete(f"/v1/suppressions/{r.json()['id']}", headers=act_hub.auth("owner")).status_code == 200
    assert check(act_hub, "post-5b", ("md5", md5(5)))["actions"] == ["block"]


def test_review_rules_pick_the_queue_and_priority_once_per_content(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(1)))
    add(act_hub, lst["id"], ("sha1", "a" * 40))
    add_rule(act_hub, name="lead", actions=[{"type": "review", "queue": "lead", "priority": 5}])
    answer = check(act_hub, "post-6", ("md5", md5(1)), ("sha1", "a" * 40))
    assert len(answer["matches"]) == 2
    (item,) = _rows(act_hub, ReviewItem)
    (queue,) = _rows(act_hub, ReviewQueue)
    assert (queue.name, item.priority, item.check_id) == ("lead", 5, answer["check_id"])


def test_conditions_on_feedback(act_hub: Hub) -> None:
    lst = new_list(act_hub, visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    entry = add(act_hub, lst["id"], ("md5", md5(3)))
    add_rule(act_hub, name="skip-disputed", conditions={"disputed": True}, actions=[{"type": "suppress"}])
    add_rule(
        act_hub, name="confirmed", conditions={"min_confirmations": 1}, actions=[{"type": "review", "queue": "hot"}]
    )
    assert check(act_hub, "c-1", ("md5", md5(3)))["matches"][0]["rule"] is None  # neither fired: the safe default
    r = act_hub.client.put(
        f"/v1/entries/{entry['id']}/feedback",
        json={"verdict": "confirm", "reason": "verified"},
        headers=act_hub.auth("sharee"),
    )
    assert r.status_code == 200, r.text
    assert check(act_hub, "c-2", ("md5", md5(3)))["matches"][0]["rule"] == "confirmed"
    r = act_hub.client.put(
        f"/v1/entries/{entry['id']}/feedback",
        json={"verdict": "dispute", "reason": "false_positive"},
        headers=act_hub.auth("sharee"),
    )
    assert r.status_code == 200, r.text
    assert check(act_hub, "c-3", ("md5", md5(3)))["matches"][0]["rule"] == "skip-disputed"


def test_a_batch_checks_each_item_and_refuses_over_10000_hashes(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(1)))
    items = [{"content_id": f"b-{i}", "hashes": [{"hash_type": "md5", "value": md5(i)}]} for i in range(1, 101)]
    r = act_hub.client.post("/v1/content/batch", json={"items": items}, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert [c["content_id"] for c in checks] == [f"b-{i}" for i in range(1, 101)]
    assert [c["matched"] for c in checks] == [True] + [False] * 99
    big = [{"content_id": f"x-{i}", "hashes": [{"hash_type": "md5", "value": md5(i)}]} for i in range(10_001)]
    before = len(_rows(act_hub, ContentCheck))
    r = act_hub.client.post("/v1/content/batch", json={"items": big}, headers=act_hub.auth("owner"))
    assert_error(r, 413, "limit_exceeded")
    assert len(_rows(act_hub, ContentCheck)) == before  # nothing half-written


def test_bad_input_is_refused_with_nothing_written(act_hub: Hub) -> None:
    auth = act_hub.auth("owner")
    bad = {"content_id": "p", "hashes": [{"hash_type": "md5", "value": md5(1)}, {"hash_type": "md5", "value": "zz"}]}
    assert_error(act_hub.client.post("/v1/content", json=bad, headers=auth), 400, "invalid_hash")
    no_id = {"hashes": [{"hash_type": "md5", "value": md5(1)}]}
    r = act_hub.client.post("/v1/content", json=no_id, headers=auth)
    assert_error(r, 422, "invalid_request")
    assert "content_id" in r.json()["error"]["message"]
    r = act_hub.client.post("/v1/content", content=b"{not json", headers={**auth, "content-type": "application/json"})
    assert_error(r, 422, "invalid_request")
    wrong_type = {"content_id": "p", "content_type": "song", "hashes": [{"hash_type": "md5", "value": md5(1)}]}
    assert_error(act_hub.client.post("/v1/content", json=wrong_type, headers=auth), 422, "invalid_request")
    r = act_hub.client.post("/v1/content", files={"file": ("x.bin", b"")}, data={"content_id": "p"}, headers=auth)
    assert_error(r, 422, "empty_file")
    r = act_hub.client.post("/v1/content", files={"other": ("x.bin", b"abc")}, data={"content_id": "p"}, headers=auth)
    assert_error(r, 400, "invalid_input")
    assert _rows(act_hub, ContentCheck) == []


def _jpeg(turned: bool = False) -> bytes:
    image = make_sample("shapes", seed=3)
    if turned:
        image = image.transpose(Image.Transpose.ROTATE_90)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_a_file_is_hashed_and_matched_with_rotations(act_hub: Hub) -> None:
    from sharedhash.hashing.media import hash_media

    hashed = hash_media(_jpeg())
    lst = new_list(act_hub)
    entry = add(act_hub, lst["id"], ("pdq", hashed.hashes["pdq"]))
    auth = act_hub.auth("owner")
    form = {"content_id": "img-1", "content_type": "image", "labels": ["a", "b"]}
    r = act_hub.client.post("/v1/content", files={"file": ("p.jpg", _jpeg(turned=True))}, data=form, headers=auth)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["matched"] is True
    assert answer["matches"][0]["entry_id"] == entry["id"]
    assert "pdq" in answer["hash_types"]
    (row,) = _rows(act_hub, ContentCheck)
    assert row.labels == ["a", "b"]
    assert {h["type"] for h in row.hashes} >= {"pdq", "md5"}


def test_other_orgs_checks_rules_and_lists_answer_404(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    answer = check(act_hub, "mine", ("md5", md5(1)))
    rule = add_rule(act_hub, name="r", actions=[{"type": "review"}])
    stranger = act_hub.auth("stranger")
    assert_error(act_hub.client.get(f"/v1/checks/{answer['check_id']}", headers=stranger), 404, "not_found")
    assert act_hub.client.get(f"/v1/checks/{answer['check_id']}", headers=act_hub.auth("owner")).status_code == 200
    assert_error(act_hub.client.delete(f"/v1/rules/{rule['id']}", headers=stranger), 404, "not_found")
    assert act_hub.client.get("/v1/rules", headers=stranger).json() == []
    body = {"name": "x", "conditions": {"list_ids": [lst["id"]]}, "actions": [{"type": "review"}]}
    assert_error(act_hub.client.post("/v1/rules", json=body, headers=stranger), 404, "not_found")
    add_endpoint(act_hub, "hooks")  # the owner's
    hook = {"name": "y", "actions": [{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}]}
    assert_error(act_hub.client.post("/v1/rules", json=hook, headers=stranger), 404, "not_found")
    # The same hashes checked by another org are its own check.
    assert check(act_hub, "mine", ("md5", md5(1)), who="stranger")["check_id"] != answer["check_id"]


def test_a_video_is_checked_against_video_lists(act_hub: Hub, tmp_path: Path) -> None:
    """A video upload to /v1/content (streamed to a temporary file, deleted): it matches a listed video by the
    reference rule, and the check keeps its hashes (vpdq and digests), never the media."""
    from sharedhash.hashing.video import hash_video
    from tests.support.video_clips import write_clip

    clip = write_clip(tmp_path / "clip.mp4", frames=40, fps=10, width=160, height=120, seed=7)
    hashed = hash_video(clip, digests=())
    videos = new_list(act_hub, name="videos")
    listed = add(act_hub, videos["id"], ("vpdq", hashed.vpdq.serialise()))
    auth = act_hub.auth("owner")
    form = {"content_id": "video-1", "content_type": "video"}
    r = act_hub.client.post("/v1/content", files={"file": ("v.mp4", clip.read_bytes())}, data=form, headers=auth)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["matched"] is True
    assert listed["id"] in {m["entry_id"] for m in answer["matches"]}
    assert "vpdq" in answer["hash_types"]
    (row,) = _rows(act_hub, ContentCheck)
    assert row.content_type == "video"
    assert {h["type"] for h in row.hashes} >= {"vpdq", "md5"}
