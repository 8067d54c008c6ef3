"""The fast path of ``POST /v1/content/batch`` (server/act/batchfast.py): it takes exactly the bodies the route's
model accepts unchanged, answers byte for byte as the model serialises, and leaves every refusal of a body to the
route (the service's own errors are the same on both paths)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from sharedhash.errors import SharedhashError
from sharedhash.server.act import batchfast, service
from sharedhash.server.act.fast import _plain_check
from sharedhash.server.act.routes import _BATCH_OUT
from sharedhash.server.act.schemas import ContentBatchIn, ContentCheckOut, ContentHashesIn, content_meta
from sharedhash.server.lookup.service import validate_queries
from sharedhash.store.models import ContentCheck
from sharedhash.store.visibility import Caller
from tests.support.act import add_endpoint, add_rule
from tests.support.api import add, assert_error, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of

_HASH = {"hash_type": "md5", "value": md5(1)}
_CHECK_OUT = TypeAdapter(ContentCheckOut)


def _item(**fields: Any) -> dict[str, Any]:
    return {"content_id": "c-1", "hashes": [_HASH], **fields}


_BODIES: list[Any] = [
    {"items": [_item()]},
    {"items": [_item(content_type="image", uploader_id="u", url="https://example.test/a", labels=["zorblax"])]},
    {"items": [_item(uploaded_at="2026-11-01T10:20:30.250000Z"), _item(uploaded_at="2026-11-01T11:20:30+01:00")]},
    {"items": [_item(uploaded_at=None, uploader_id=None, url=None, labels=[])]},
    {"items": [_item(hashes=[{"hash_type": "pdq", "value": pdq(1).upper()}, _HASH])]},  # canonicalised later
    {"items": [_item(content_id="é" * 500, labels=["l" * 100] * 50)]},
    {"items": [_item(hashes=[{"hash_type": "md5", "value": "zz"}])]},  # the service refuses it (same on both)
    # Refused by the model: the route answers.
    {"items": []},
    {"items": [_item()], "zorblax": 1},
    {"items": [_item(zorblax=1)]},
    {"items": [{"hashes": [_HASH]}]},
    {"items": [_item(content_id="")]},
    {"items": [_item(content_id="x" * 501)]},
    {"items": [_item(content_id=7)]},
    {"items": [_item(content_id="a\x00b")]},
    {"items": [_item(content_id="e\u0301")]},  # not NFC
    {"items": [_item(content_type="gif")]},
    {"items": [_item(content_type=None)]},
    {"items": [_item(uploader_id="")]},
    {"items": [_item(url="u" * 2001)]},
    {"items": [_item(labels=[""])]},
    {"items": [_item(labels=[None])]},
    {"items": [_item(labels=None)]},
    {"items": [_item(labels="zorblax")]},
    {"items": [_item(labels=["l"] * 51)]},
    {"items": [_item(labels=["l" * 101])]},
    {"items": [_item(uploaded_at="2026-11-01T10:20:30")]},  # no time zone
    {"items": [_item(uploaded_at=1700000000)]},
    {"items": [_item(uploaded_at="yesterday")]},
    {"items": [_item(hashes=[])]},
    {"items": [_item(hashes=[_HASH] * 33)]},
    {"items": [_item(hashes=[{"hash_type": "quuxhash", "value": "00"}])]},
    {"items": [_item(hashes=[{"hash_type": "md5", "value": 5}])]},
    {"items": [_item(hashes=[{"hash_type": "md5", "value": ""}])]},
    {"items": [_item(hashes=[{**_HASH, "quality": 90}])]},
    {"items": [_item(hashes=[{"hash_type": "md5", "value": "a\x00"}])]},
    {"items": [_item(hashes="md5")]},
    {"items": "all"},
    [],
]


@pytest.mark.parametrize("body", _BODIES)
def test_the_hand_check_takes_what_the_model_accepts_unchanged(body: Any) -> None:
    raw = json.dumps(body).encode()
    fast = batchfast.plain_batch_body(raw)
    try:
        model = ContentBatchIn.model_validate(json.loads(raw))
    except ValidationError:
        assert fast is None  # the route refuses it, with the model's own errors
        return
    if fast is None:  # only when the service refuses a hash (the route's answer then comes from the service)
        flat = [(h.hash_type, h.value) for i in model.items for h in i.hashes]
        with pytest.raises(SharedhashError):
            validate_queries(flat, 10_000)
        return
    assert fast == [(content_meta(i), [(h.hash_type, h.value) for h in i.hashes]) for i in model.items]


@pytest.mark.parametrize(
    "item",
    [b["items"][0] for b in _BODIES if isinstance(b, dict) and isinstance(b.get("items"), list) and b["items"]]
    + [_item(content_id="e\u0301", hashes=[{"hash_type": "md5", "value": "\u00e9"}]), _item(url="é" * 2000), "c-1"],
)
def test_a_single_checks_hand_check_takes_what_the_model_accepts_unchanged(item: Any) -> None:
    """``POST /v1/content``'s fast path reads its body by the batch's item check (server/act/fast.py)."""
    raw = json.dumps(item).encode()
    fast = _plain_check(raw)
    try:
        model = ContentHashesIn.model_validate(json.loads(raw))
    except ValidationError:
        assert fast is None  # the model then refuses it, and the route answers
        return
    if fast is None:  # only when the service refuses a hash
        with pytest.raises(SharedhashError):
            validate_queries([(h.hash_type, h.value) for h in model.hashes], 10_000)
        return
    assert fast == (content_meta(model), [(h.hash_type, h.value) for h in model.hashes])


def test_bodies_that_are_not_json_take_the_route() -> None:
    assert batchfast.plain_batch_body(b"{") is None
    assert batchfast.plain_batch_body(b'{"items": [{"content_id": "\\ud800", "hashes": []}]}') is None


def _caller(hub: Hub) -> Caller:
    from sharedhash.server.auth import bearer_parts, fresh_cached_caller
    from sharedhash.store.models import Scope

    parts = bearer_parts(b"Bearer " + hub.keys["owner"].encode())
    assert parts is not None
    assert hub.client.post("/v1/lookup", json={"hashes": [_HASH]}, headers=hub.auth("owner")).status_code == 200
    caller = fresh_cached_caller(state_of(hub), parts, Scope.READ)
    assert caller is not None
    return caller


def test_answers_serialise_byte_for_byte_as_the_model(act_hub: Hub) -> None:
    lst = new_list(act_hub, pdq_threshold=16)
    add(act_hub, lst["id"], ("pdq", pdq(1)), classification="A1", labels=["zorblax"])
    add(act_hub, lst["id"], ("md5", md5(2)))
    add_endpoint(act_hub, "hooks")
    add_rule(act_hub, name="block", conditions={"classifications": ["A1"]},
             actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}])  # fmt: skip
    state = state_of(act_hub)
    caller = _caller(act_hub)
    meta = service.ContentMeta
    items = [
        (
            meta("a", "image", "u-1", datetime(2026, 11, 1, tzinfo=UTC), "https://example.test/a", ("x",)),
            [("pdq", flip(pdq(1), 3)), ("md5", md5(2))],
        ),  # fmt: skip
        (meta("b"), [("md5", md5(2))]),
        (meta("c"), [("md5", md5(3))]),
    ]
    answers = service.check_hashes(state, caller, items)
    replayed = service.check_hashes(state, caller, items)
    assert [a["replayed"] for a in replayed] == [True] * 3
    assert answers[0]["matched"]
    assert answers[0]["matches"]
    # Times without microseconds, or in another zone, and video details serialise alike too.
    odd = dict(answers[1], checked_at=answers[1]["checked_at"].replace(microsecond=0))
    zone = timezone(timedelta(hours=2))
    odd["matches"] = [
        dict(
            m, created_at=m["created_at"].astimezone(zone), details={"matched_hash_type": "vpdq", "query_percent": 50.0}
        )
        for m in odd["matches"]
    ]
    # Answers not in the models' shape (fields in another order, one more, feedback with more) are put into it:
    # those in it are serialised as they are.
    shuffled = {k: answers[0][k] for k in reversed(answers[0])}
    extra = dict(answers[1], key="zorblax")
    more = dict(answers[0], matches=[dict(m, feedback={**m["feedback"], "zorblax": 1}) for m in answers[0]["matches"]])
    reordered = dict(answers[0], matches=[{k: m[k] for k in sorted(m)} for m in answers[0]["matches"]])
    for batch in (answers, replayed, [odd], [shuffled, extra, more, reordered]):
        expected = _BATCH_OUT.dump_json(_BATCH_OUT.validate_python({"checks": batch}))
        assert batchfast.batch_answer_json(batch) == expected
        for one in batch:
            assert batchfast.check_answer_json(one) == _CHECK_OUT.dump_json(_CHECK_OUT.validate_python(one))
    assert [batchfast._in_shape(a) for a in answers + replayed] == [True] * 6
    assert not any(batchfast._in_shape(a) for a in (shuffled, extra, more, reordered))


def test_a_batch_answers_each_item_its_own_answer_without_its_key(act_hub: Hub) -> None:
    """A batch written alone (over the group commit's size) answers with its own dicts, the key taken out; a
    content given twice gets two equal answers, not one dict twice."""
    state = state_of(act_hub)
    caller = _caller(act_hub)
    items = [(service.ContentMeta(f"c-{n}"), [("md5", md5(n))]) for n in range(service.GROUP_COMMIT_MAX_ITEMS + 4)]
    items.append(items[3])
    answers = service.check_hashes(state, caller, items)
    assert [a["content_id"] for a in answers] == [m.content_id for m, _ in items]
    assert not any("key" in a for a in answers)
    assert answers[-1] == answers[3]
    assert answers[-1] is not answers[3]
    replayed = service.check_hashes(state, caller, items)
    assert [a["replayed"] for a in replayed] == [True] * len(items)
    assert not any("key" in a for a in replayed)
    assert replayed[-1] == replayed[3]
    assert replayed[-1] is not replayed[3]


def _post(hub: Hub, items: list[dict[str, Any]]) -> Any:
    return hub.client.post("/v1/content/batch", json={"items": items}, headers=hub.auth("owner"))


def _count(hub: Hub) -> int:
    with state_of(hub).db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(ContentCheck)) or 0)


def test_the_fast_path_answers_as_the_route_and_refuses_as_it(act_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    lst = new_list(act_hub, pdq_threshold=16)
    add(act_hub, lst["id"], ("pdq", pdq(1)), classification="A1")
    taken: list[int] = []
    real = batchfast.check_batch_json

    def spy(state: Any, caller: Any, body: bytes) -> bytes | None:
        found = real(state, caller, body)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(batchfast, "check_batch_json", spy)
    items = [
        {"content_id": f"b-{i}", "content_type": "image", "hashes": [{"hash_type": "pdq", "value": flip(pdq(1), i)}]}
        for i in range(30)
    ]
    state_of(act_hub).caches.keys.clear()  # a key not in memory: the route answers (and caches the key)
    routed = _post(act_hub, items)
    assert routed.status_code == 200, routed.text
    assert taken == []
    fast = _post(act_hub, items)  # the same batch again: replayed, through the fast path
    assert fast.status_code == 200, fast.text
    assert taken == [True]
    assert fast.headers["content-type"] == "application/json"
    first, again = routed.json()["checks"], fast.json()["checks"]
    assert [c["matched"] for c in first] == [i <= 16 for i in range(30)]
    assert all(c["replayed"] for c in again)
    assert again == [dict(c, replayed=True) for c in first]

    before = _count(act_hub)
    new = [dict(i, content_id=f"n-{n}") for n, i in enumerate(items)]
    answered = _post(act_hub, new)
    assert taken[-1] is True
    assert [c["matched"] for c in answered.json()["checks"]] == [c["matched"] for c in first]
    assert _count(act_hub) == before + 30

    # Refusals: the service's own through the fast path, the model's from the route; nothing written.
    before = _count(act_hub)
    limit = act_hub.settings.max_lookup_hashes
    big = [{"content_id": f"x-{i}", "hashes": [{"hash_type": "md5", "value": md5(i)}]} for i in range(limit + 1)]
    assert_error(_post(act_hub, big), 413, "limit_exceeded")
    assert taken[-1] is True
    bad = [*new[:3], {"content_id": "bad", "hashes": [{"hash_type": "md5", "value": "zz"}]}]
    refused = _post(act_hub, bad)
    assert_error(refused, 400, "invalid_hash")
    assert "hash 3" in refused.json()["error"]["message"]
    calls = len(taken)
    assert_error(_post(act_hub, [{"content_id": "", "hashes": [_HASH]}]), 422, "invalid_request")
    assert_error(_post(act_hub, [{"content_id": "u", "hashes": [{"hash_type": "quuxhash", "value": "00"}]}]),
                 400, "unknown_hash_type")  # fmt: skip
    assert taken[calls:] == [False, False]  # left to the route
    assert _count(act_hub) == before
