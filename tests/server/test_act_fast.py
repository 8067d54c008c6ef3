"""The fast path of a hash-only ``POST /v1/content`` answers exactly as the route does (the same bytes for the same
stored check, the same fields for new ones, the same rows written), takes only the requests it is sure of and
leaves every refusal to the route."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import orjson
import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from sharedhash.server.act import service
from sharedhash.server.act.fast import FAST_BODY_BYTES, FastContentCheck
from sharedhash.store.models import ContentCheck, ContentMatch, OutboxEvent, ReviewItem
from tests.support.act import add_endpoint, add_rule
from tests.support.api import add, assert_error, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of

#: Fields that differ between two checks of the same content under different content ids.
_OWN = ("check_id", "content_id", "checked_at")
_OWN_MATCH = ("match_id", "created_at")


def _post(hub: Hub, body: Any, who: str = "owner", *, routed: bool = False, **kwargs: Any) -> Any:
    """POST /v1/content; ``routed``: with the key out of memory, so the route answers (and caches the key)."""
    if routed:
        state_of(hub).caches.keys.clear()
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = hub.auth(who) | {"content-type": "application/json"}
    return hub.client.post("/v1/content", content=content, headers=headers, **kwargs)


def _count(hub: Hub, model: Any) -> int:
    from sqlalchemy import func, select

    with state_of(hub).db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _rows_written(hub: Hub) -> tuple[int, int, int, int]:
    return (_count(hub, ContentCheck), _count(hub, ContentMatch), _count(hub, OutboxEvent), _count(hub, ReviewItem))


def _without_own(answer: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in answer.items() if k not in _OWN}
    out["matches"] = [{k: v for k, v in m.items() if k not in _OWN_MATCH} for m in answer["matches"]]
    return out


def _bodies() -> list[dict[str, Any]]:
    return [
        {"hashes": [{"hash_type": "pdq", "value": flip(pdq(1), 5)}], "content_type": "image"},
        {"hashes": [{"hash_type": "pdq", "value": pdq(50)}]},  # no match
        {"hashes": [{"hash_type": "md5", "value": md5(2)}, {"hash_type": "pdq", "value": pdq(3).upper()}]},
        {
            "hashes": [{"hash_type": "md5", "value": md5(4)}],
            "content_type": "video",
            "uploader_id": "user-zorblax",
            "uploaded_at": "2026-01-02T03:04:05+01:00",
            "url": "https://example.test/p/1",
            "labels": ["zorblax", "ünïcode"],
        },
        {"hashes": [{"hash_type": "md5", "value": md5(5)}, {"hash_type": "md5", "value": md5(5)}]},  # twice
    ]


def test_fast_and_routed_answers_are_identical(act_hub: Hub) -> None:
    lst = new_list(act_hub, pdq_threshold=20)
    for i in range(6):
        add(act_hub, lst["id"], ("pdq", pdq(i)), ("md5", md5(i)), classification="A1", labels=["zorblax"])
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="block md5",
        conditions={"hash_types": ["md5"]},
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}, {"type": "review"}],
    )
    keys = state_of(act_hub).caches.keys
    for n, body in enumerate(_bodies()):
        before = _rows_written(act_hub)
        routed = _post(act_hub, {"content_id": f"routed-{n}", **body}, routed=True)
        assert routed.status_code == 200, routed.text
        assert keys.get_cached(act_hub.keys["owner"].split("_")[1]) is not None  # the next one is taken fast
        middle = _rows_written(act_hub)
        fast = _post(act_hub, {"content_id": f"fast-{n}", **body})
        assert fast.status_code == 200, fast.text
        after = _rows_written(act_hub)
        # The same rows (check, matches, events, review items) written by both.
        assert [m - b for m, b in zip(middle, before, strict=True)] == [
            a - m for a, m in zip(after, middle, strict=True)
        ]
        assert _without_own(routed.json()) == _without_own(fast.json())
        assert fast.json()["content_id"] == f"fast-{n}"
        assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
        # A retry of either check answers with the stored check: byte for byte the same through both paths.
        for content_id in (f"routed-{n}", f"fast-{n}"):
            again_routed = _post(act_hub, {"content_id": content_id, **body}, routed=True)
            again_fast = _post(act_hub, {"content_id": content_id, **body})
            assert again_routed.status_code == again_fast.status_code == 200
            assert again_routed.json()["replayed"] is True
            assert again_routed.content == again_fast.content
        assert _rows_written(act_hub) == after  # retries write nothing
    assert _post(act_hub, {"content_id": "m", **_bodies()[0]}).json()["matched"] is True
    assert _post(act_hub, {"content_id": "m2", **_bodies()[2]}).json()["actions"] == ["block", "review"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"content_id": "x", "hashes": [{"hash_type": "md5", "value": "xyz"}]}, 400, "invalid_hash"),
        ({"content_id": "x", "hashes": [{"hash_type": "quuxhash", "value": "00"}]}, 400, "unknown_hash_type"),
        ({"content_id": "x", "hashes": []}, 422, "invalid_request"),
        ({"hashes": [{"hash_type": "md5", "value": md5(1)}]}, 422, "invalid_request"),
        ({"content_id": "x", "hashes": [{"hash_type": "md5", "value": md5(1)}], "zorblax": 1}, 422, "invalid_request"),
        (
            {"content_id": "x", "content_type": "zorblax", "hashes": [{"hash_type": "md5", "value": md5(1)}]},
            422,
            "invalid_request",
        ),  # fmt: skip
        ({"content_id": "", "hashes": [{"hash_type": "md5", "value": md5(1)}]}, 422, "invalid_request"),
        ({"content_id": "a\x00b", "hashes": [{"hash_type": "md5", "value": md5(1)}]}, 422, "invalid_text"),
        (
            {
                "content_id": "x",
                "uploaded_at": "2026-01-02T03:04:05",
                "hashes": [{"hash_type": "md5", "value": md5(1)}],
            },
            422,
            "invalid_request",
        ),  # fmt: skip
        (b"{not json", 422, "invalid_request"),
        (b"[]", 422, "invalid_request"),
    ],
)
def test_refusals_are_the_routes_with_a_cached_key(act_hub: Hub, body: Any, status: int, code: str) -> None:
    new_list(act_hub)
    before = _rows_written(act_hub)
    routed = _post(act_hub, body, routed=True)
    fast = _post(act_hub, body)
    assert_error(routed, status, code)
    assert (fast.status_code, fast.content) == (routed.status_code, routed.content)
    assert _rows_written(act_hub) == before  # nothing half-written


def test_keys_are_refused_by_the_route(act_hub: Hub) -> None:
    body = {"content_id": "x", "hashes": [{"hash_type": "md5", "value": md5(1)}]}
    assert _post(act_hub, body).status_code == 200  # the key is now in memory
    forged = {"Authorization": f"Bearer {act_hub.keys['owner'][:-2]}zz"}
    assert_error(act_hub.client.post("/v1/content", json=body, headers=forged), 401, "unauthenticated")
    assert_error(act_hub.client.post("/v1/content", json=body), 401, "unauthenticated")
    for who in ("owner_read", "owner_contribute"):  # every key may check (read scope)
        routed = _post(act_hub, body, who, routed=True)
        fast = _post(act_hub, body, who)
        assert routed.status_code == 200
        assert routed.content == fast.content


class _Forwarded:
    """The app behind the middleware in the tests below: records what the fast path handed on (with its body) and
    answers 299, so a test sees which requests the fast path took and which it left to the route."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_the_fast_path_takes_only_what_it_is_sure_of(act_hub: Hub) -> None:
    new_list(act_hub)
    state = state_of(act_hub)
    assert _post(act_hub, {"content_id": "warm", "hashes": [{"hash_type": "md5", "value": md5(1)}]}).status_code == 200
    forwarded = _Forwarded()
    client = TestClient(FastContentCheck(forwarded, state))
    auth = act_hub.auth("owner")
    json_headers = auth | {"content-type": "application/json"}
    plain = orjson.dumps({"content_id": "taken", "hashes": [{"hash_type": "md5", "value": md5(3)}]})

    taken = client.post("/v1/content", content=plain, headers=json_headers)
    assert taken.status_code == 200
    assert taken.json()["content_id"] == "taken"
    assert client.post("/v1/content", content=plain, headers=json_headers).json()["replayed"] is True
    assert forwarded.bodies == []

    long_labels = {"content_id": "big", "hashes": [{"hash_type": "md5", "value": md5(3)}], "labels": ["z" * 90] * 200}
    left = [
        client.post("/v1/content?dihedral=true", content=plain, headers=json_headers),
        client.post("/v1/content", content=plain, headers=auth | {"content-type": "text/plain"}),
        client.post("/v1/content", files={"file": ("a.jpg", b"zorblax")}, data={"content_id": "f"}, headers=auth),
        client.post("/v1/content", content=plain, headers={"content-type": "application/json"}),
        client.post("/v1/content", content=b"{not json", headers=json_headers),
        client.post("/v1/content", content=orjson.dumps(long_labels), headers=json_headers),
        client.post("/v1/content/batch", content=plain, headers=json_headers),
        client.get("/v1/content", headers=auth),
    ]
    assert len(orjson.dumps(long_labels)) > FAST_BODY_BYTES
    assert [r.status_code for r in left] == [299] * len(left)
    assert forwarded.bodies[0] == plain  # handed on with its body
    assert forwarded.bodies[4] == b"{not json"
    state.caches.keys.clear()  # a key not in memory: the route looks it up
    assert client.post("/v1/content", content=plain, headers=json_headers).status_code == 299


def test_each_check_transaction_is_audited_once(act_hub: Hub) -> None:
    from sqlalchemy import select

    from sharedhash.store.models import AuditEvent

    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(1)))
    _post(act_hub, {"content_id": "warm", "hashes": [{"hash_type": "md5", "value": md5(2)}]}, routed=True)
    fast = _post(act_hub, {"content_id": "audited", "hashes": [{"hash_type": "md5", "value": md5(1)}]})
    assert fast.json()["matched"] is True
    with state_of(act_hub).db.reading() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "content.check").order_by(AuditEvent.id)))
    assert [(e.count, e.detail["kind"], e.detail["matched"], e.detail["reviews"]) for e in events] == [
        (1, "hashes", 0, 0),
        (1, "hashes", 1, 1),
    ]
    assert events[-1].key_id is not None
    assert events[-1].created_at is not None


def test_single_checks_on_the_loop_are_written_together_while_a_write_is_under_way(
    act_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fast single check is matched on the event loop and awaits the group commit's writer thread: while one
    transaction is being written the loop goes on taking checks (none waits in a thread of its own), and those are
    written together in the next transaction, each request answered with its own check."""
    lst = new_list(act_hub, pdq_threshold=16)
    add(act_hub, lst["id"], ("pdq", pdq(1)))
    _post(act_hub, {"content_id": "warm", "hashes": [{"hash_type": "md5", "value": md5(9)}]})  # the key in memory
    calls: list[list[str]] = []
    first_in, release = threading.Event(), threading.Event()
    real_write = service._write

    def write(state: Any, caller: Any, items: list[Any], *, kind: str) -> list[dict[str, Any]]:
        calls.append(sorted(i.meta.content_id for i in items))
        if len(calls) == 1:
            first_in.set()
            assert release.wait(30)
        return real_write(state, caller, items, kind=kind)

    monkeypatch.setattr(service, "_write", write)
    monkeypatch.setattr(service, "GROUP_COMMIT_WRITERS_POSTGRES", 1)  # one writer at a time, as on SQLite
    app = FastContentCheck(_Forwarded(), state_of(act_hub))
    headers = act_hub.auth("owner") | {"content-type": "application/json"}

    async def until(done: Any) -> None:
        deadline = time.monotonic() + 30
        while not done():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

    async def run() -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:

            def post(content_id: str, value: str) -> Any:
                body = {
                    "content_id": content_id,
                    "content_type": "image",
                    "hashes": [{"hash_type": "pdq", "value": value}],
                }
                return asyncio.ensure_future(client.post("/v1/content", content=orjson.dumps(body), headers=headers))

            lead = post("lead", pdq(500))
            try:
                await until(first_in.is_set)  # its transaction is under way in the writer thread
                others = [post(f"q-{n}", flip(pdq(1), 3) if n % 2 else pdq(600 + n)) for n in range(6)]
                await until(lambda: len(service._COMMITS._queue) == 6)  # matched on this loop and queued meanwhile
            finally:
                release.set()
            return [await lead, *(await asyncio.gather(*others))]

    answers = [r.json() for r in asyncio.run(run())]
    assert calls == [["lead"], sorted(f"q-{n}" for n in range(6))]  # one transaction for the six queued
    assert [a["content_id"] for a in answers] == ["lead", *(f"q-{n}" for n in range(6))]
    assert [a["matched"] for a in answers] == [False, *(n % 2 == 1 for n in range(6))]
    assert len({a["check_id"] for a in answers}) == 7
    for a in answers:
        stored = act_hub.client.get(f"/v1/checks/{a['check_id']}", headers=act_hub.auth("owner")).json()
        assert stored == a
    assert not service._COMMITS._writing
