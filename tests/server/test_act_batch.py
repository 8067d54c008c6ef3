"""The columnar path of large hash-only batches (issue 12 figures): every item's check, hashes, metadata, matches
and review items are recorded as the per-item path recorded them, a retry replays the same checks, and the index
of check hashes built at start holds exactly the recent checks' near-match hashes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sharedhash.server.act import service
from sharedhash.store.models import CheckHash, ContentCheck, ReviewItem, utcnow
from tests.support.act import check
from tests.support.api import add, flip, md5, new_list, pdq
from tests.support.hub import Hub, state_of

N = 600  # over service.PAUSE_GC_FROM_HASHES: the large-batch path


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i in range(N):
        hashes = [{"hash_type": "pdq", "value": flip(pdq(i % 3), 4) if i % 10 == 0 else pdq(10_000 + i)}]
        if i % 7 == 0:
            hashes.append({"hash_type": "md5", "value": md5(50_000 + i)})
        item: dict[str, Any] = {"content_id": f"c-{i}", "content_type": "image", "hashes": hashes}
        if i % 5 == 0:
            item |= {
                "uploader_id": f"u-{i}",
                "uploaded_at": "2026-11-01T10:20:30.250000Z",
                "url": f"https://example.test/{i}",
                "labels": ["zorblax", f"l{i}"],
            }
        items.append(item)
    return items


def _get(hub: Hub, check_id: int) -> dict[str, Any]:
    r = hub.client.get(f"/v1/checks/{check_id}", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_large_batch_records_every_item_and_replays(act_hub: Hub) -> None:
    assert N >= service.PAUSE_GC_FROM_HASHES
    lst = new_list(act_hub, pdq_threshold=16)
    for n in range(3):
        add(act_hub, lst["id"], ("pdq", pdq(n)), classification="A1")
    items = _items()
    items.append(dict(items[10]))  # the same content twice in one batch: one check
    r = act_hub.client.post("/v1/content/batch", json={"items": items}, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert [c["content_id"] for c in checks] == [i["content_id"] for i in items]
    assert checks[-1] == checks[10]
    assert [c["matched"] for c in checks[:N]] == [i % 10 == 0 for i in range(N)]
    assert all(c["actions"] == (["review"] if c["matched"] else []) for c in checks)
    assert not any(c["replayed"] for c in checks)
    assert checks[7]["hash_types"] == ["md5", "pdq"]
    assert checks[3]["hash_types"] == ["pdq"]
    (m,) = checks[20]["matches"]
    assert (m["distance"], m["classification"], m["actions"], m["retroactive"]) == (4, "A1", ["review"], False)
    assert len({c["check_id"] for c in checks}) == N

    # What was stored answers the same (metadata, hashes and matches read back).
    for n in (0, 5, 7, 20, 21):
        stored = _get(act_hub, checks[n]["check_id"])
        assert stored == checks[n]
    state = state_of(act_hub)
    with state.db.reading() as s:
        row = s.scalars(select(ContentCheck).where(ContentCheck.id == checks[5]["check_id"])).one()
        assert (row.uploader_id, row.url, row.labels) == ("u-5", "https://example.test/5", ["zorblax", "l5"])
        assert row.uploaded_at is not None
        assert row.uploaded_at.isoformat() == "2026-11-01T10:20:30.250000+00:00"
        assert row.hashes == [{"type": "pdq", "value": pdq(10_005)}]
        kept = {(h.check_id, h.hash_type, h.value) for h in s.scalars(select(CheckHash))}
        reviews = list(s.scalars(select(ReviewItem)))
    assert len(kept) == N + len(range(0, N, 7))
    assert (checks[7]["check_id"], "md5", md5(50_007)) in kept
    assert sorted(r.check_id for r in reviews) == sorted(c["check_id"] for c in checks[:N] if c["matched"])

    # A retry of the whole batch writes nothing and answers with the first checks.
    again = act_hub.client.post("/v1/content/batch", json={"items": items}, headers=act_hub.auth("owner"))
    assert again.status_code == 200, again.text
    replayed = again.json()["checks"]
    assert [c["check_id"] for c in replayed] == [c["check_id"] for c in checks]
    assert all(c["replayed"] for c in replayed)
    assert replayed[20]["matches"] == checks[20]["matches"]
    with state.db.reading() as s:
        assert len(list(s.scalars(select(ContentCheck.id)))) == N


def test_the_check_index_is_rebuilt_from_recent_check_hashes(act_hub: Hub) -> None:
    recent = check(act_hub, "recent", ("pdq", pdq(1)), ("md5", md5(1)))
    old = check(act_hub, "old", ("pdq", pdq(2)))
    state = state_of(act_hub)
    past = state.settings.check_retention_days + 1
    with state.db.writing() as s:
        s.execute(
            update(CheckHash)
            .where(CheckHash.check_id == old["check_id"])
            .values(created_at=utcnow() - timedelta(days=past))
        )
        ids = dict(s.execute(select(CheckHash.check_id, CheckHash.id).where(CheckHash.hash_type == "pdq")).all())
    service.load_check_hashes(state)  # what the server does at start
    assert state.check_hashes.sizes() == {"pdq": 1}  # md5 is found by value; the old one is past retention
    found = state.check_hashes.query("pdq", [flip(pdq(1), 3), pdq(2)], 10)
    assert found.counts.tolist() == [1, 0]
    assert (found.ids.tolist(), found.distances.tolist()) == ([ids[recent["check_id"]]], [3])


def test_concurrent_single_checks_are_written_together_each_answered_its_own(
    act_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    lst = new_list(act_hub, pdq_threshold=16)
    add(act_hub, lst["id"], ("pdq", pdq(1)))
    monkeypatch.setattr(service, "GROUP_COMMIT_WRITERS_POSTGRES", 1)  # one batch at a time, as on SQLite
    calls: list[list[str]] = []
    first_in = threading.Event()
    release = threading.Event()
    real_write = service._write

    def write(state: Any, caller: Any, items: list[Any], *, kind: str) -> list[dict[str, Any]]:
        calls.append([i.meta.content_id for i in items])
        if len(calls) == 1:
            first_in.set()
            assert release.wait(30)
        return real_write(state, caller, items, kind=kind)

    monkeypatch.setattr(service, "_write", write)
    answers: dict[str, dict[str, Any]] = {}

    def one(content_id: str, value: str) -> None:
        answers[content_id] = check(act_hub, content_id, ("pdq", value), content_type="image")

    first = threading.Thread(target=one, args=("lead", pdq(500)))
    first.start()
    assert first_in.wait(30)  # the leader's transaction is under way: the others queue behind it
    others = [
        threading.Thread(target=one, args=(f"q-{n}", flip(pdq(1), 3) if n % 2 else pdq(600 + n))) for n in range(6)
    ]
    for t in others:
        t.start()
    while len(service._COMMITS._queue) < len(others):
        time.sleep(0.01)
    release.set()
    for t in [first, *others]:
        t.join(30)
    assert calls[0] == ["lead"]
    assert sorted(calls[1]) == sorted(f"q-{n}" for n in range(6))  # one transaction for the six queued
    assert len(calls) == 2
    for n in range(6):
        got = answers[f"q-{n}"]
        assert got["content_id"] == f"q-{n}"
        assert got["matched"] is (n % 2 == 1)
        assert got["actions"] == (["review"] if n % 2 else [])
        assert _get(act_hub, got["check_id"]) == got
    assert len({a["check_id"] for a in answers.values()}) == 7


def test_a_failed_group_write_fails_only_its_requests(act_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = service._write

    def write(state: Any, caller: Any, items: list[Any], *, kind: str) -> list[dict[str, Any]]:
        if any(i.meta.content_id == "boom" for i in items):
            raise RuntimeError("the database went away")
        return real_write(state, caller, items, kind=kind)

    monkeypatch.setattr(service, "_write", write)
    r = act_hub.client.post(
        "/v1/content", json={"content_id": "boom", "hashes": [{"hash_type": "md5", "value": md5(1)}]},
        headers=act_hub.auth("owner"),
    )  # fmt: skip
    assert r.status_code == 500
    assert check(act_hub, "fine", ("md5", md5(2)))["matched"] is False
    assert not service._COMMITS._writing  # the next request leads again


def test_postgres_writes_batches_side_by_side(act_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a second request does not wait for the first one's transaction (up to
    ``GROUP_COMMIT_WRITERS_POSTGRES`` batches at once); on SQLite (one writer) it queues behind it."""
    new_list(act_hub)
    first_in = threading.Event()
    release = threading.Event()
    real_write = service._write
    calls: list[str] = []

    def write(state: Any, caller: Any, items: list[Any], *, kind: str) -> list[dict[str, Any]]:
        calls.append(items[0].meta.content_id)
        if items[0].meta.content_id == "slow":
            first_in.set()
            assert release.wait(30)
        return real_write(state, caller, items, kind=kind)

    monkeypatch.setattr(service, "_write", write)
    monkeypatch.setattr(service, "GROUP_COMMIT_WRITERS_POSTGRES", 2)
    answers: dict[str, dict[str, Any]] = {}

    def one(content_id: str) -> None:
        answers[content_id] = check(act_hub, content_id, ("md5", md5(len(content_id))))

    slow = threading.Thread(target=one, args=("slow",))
    slow.start()
    assert first_in.wait(30)
    second = threading.Thread(target=one, args=("second",))
    second.start()
    if state_of(act_hub).db.is_sqlite:
        while len(service._COMMITS._queue) < 1:
            time.sleep(0.01)
        assert calls == ["slow"]  # queued behind the one writer
        release.set()
    else:
        second.join(30)
        assert calls == ["slow", "second"]
        assert answers["second"]["content_id"] == "second"  # written while the first is still under way
        release.set()
    for t in (slow, second):
        t.join(30)
    assert sorted(answers) == ["second", "slow"]
    assert not service._COMMITS._writing


def test_a_small_batch_of_replays_and_new_checks(act_hub: Hub) -> None:
    """A batch of the group commit holding contents checked before and new ones (on PostgreSQL the checks' insert
    leaves the known ones out, and the new ones keep their own matches, rules, events and review items): the
    replays answer with their first check and add nothing, the new ones are recorded like any."""
    from sharedhash.store.models import ContentMatch, OutboxEvent
    from tests.support.act import add_endpoint, add_rule

    lst = new_list(act_hub, pdq_threshold=16)
    for n in range(3):
        add(act_hub, lst["id"], ("pdq", pdq(n)), classification="A1")
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="hook",
        conditions={},
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}, {"type": "review"}],
    )

    def item(content_id: str, value: str) -> dict[str, Any]:
        return {"content_id": content_id, "content_type": "image", "hashes": [{"hash_type": "pdq", "value": value}]}

    def counts() -> list[int]:
        with state_of(act_hub).db.reading() as s:
            return [len(list(s.scalars(select(t.id)))) for t in (ContentCheck, ContentMatch, OutboxEvent, ReviewItem)]

    first = [item("old-hit", flip(pdq(0), 3)), item("old-miss", pdq(900))]
    r = act_hub.client.post("/v1/content/batch", json={"items": first}, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    before = r.json()["checks"]
    assert counts() == [2, 1, 1, 1]
    mixed = [item("new-hit", flip(pdq(1), 2)), first[0], item("new-miss", pdq(901)), first[1]]
    mixed.append(item("new-hit-2", flip(pdq(2), 5)))
    r = act_hub.client.post("/v1/content/batch", json={"items": mixed}, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert [c["replayed"] for c in checks] == [False, True, False, True, False]
    assert [c["check_id"] for c in (checks[1], checks[3])] == [c["check_id"] for c in before]
    assert checks[1]["matches"] == before[0]["matches"]
    assert [c["matched"] for c in checks] == [True, True, False, False, True]
    assert [c["content_id"] for c in checks] == [i["content_id"] for i in mixed]
    assert [m["distance"] for m in checks[0]["matches"]] == [2]
    assert [m["distance"] for m in checks[4]["matches"]] == [5]
    assert checks[0]["actions"] == ["block", "review"]
    assert counts() == [5, 3, 3, 3]
    for n in (0, 2, 4):
        assert _get(act_hub, checks[n]["check_id"]) == checks[n]


def test_a_large_batch_with_webhook_rules_answers_as_it_stores(act_hub: Hub) -> None:
    """A large batch (COPY on PostgreSQL: the matches' answers are made while the server inserts the check hashes,
    except when a rule sends webhooks, whose events are written through the session after it) whose matches fire a
    webhook rule on one list and the default review on another: one event per webhook match, in the same
    transaction; the answers are what is stored."""
    from sharedhash.store.models import ContentMatch, OutboxEvent
    from tests.support.act import add_endpoint, add_rule

    hooked = new_list(act_hub, pdq_threshold=16)
    quiet = new_list(act_hub, name="quiet", pdq_threshold=16)
    add(act_hub, hooked["id"], ("pdq", pdq(0)), classification="A1")
    add(act_hub, quiet["id"], ("pdq", pdq(1)), classification="B1")
    add_endpoint(act_hub, "hooks")
    add_rule(
        act_hub,
        name="hook",
        conditions={"list_ids": [hooked["id"]]},
        actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}, {"type": "review"}],
    )
    items = _items()  # every tenth item near pdq(0), pdq(1) or pdq(2)
    r = act_hub.client.post("/v1/content/batch", json={"items": items}, headers=act_hub.auth("owner"))
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    hits = {n: c for n, c in enumerate(checks) if c["matched"]}
    assert sorted(hits) == [n for n in range(0, N, 10) if n % 3 != 2]
    assert {tuple(c["actions"]) for n, c in hits.items()} == {("block", "review"), ("review",)}
    for n, c in hits.items():
        (m,) = c["matches"]
        assert m["list_id"] == (hooked["id"] if n % 3 == 0 else quiet["id"])
        assert m["rule"] == ("hook" if n % 3 == 0 else None)
    for n in (0, 10, 20, 21):
        assert _get(act_hub, checks[n]["check_id"]) == checks[n]
    with state_of(act_hub).db.reading() as s:
        events = list(s.scalars(select(OutboxEvent)))
        matches = list(s.scalars(select(ContentMatch)))
        reviews = list(s.scalars(select(ReviewItem)))
    assert len(matches) == len(hits) == len(reviews)
    assert sorted(e.ordering_key for e in events) == sorted(f"c-{n}" for n in hits if n % 3 == 0)
