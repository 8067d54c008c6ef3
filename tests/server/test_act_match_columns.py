"""A batch's match rows: each match's details (stored as JSON, answered from the dict) are what ``_details`` and
the decision's ``suppressed`` make, key for key and in the same order, with or without video fields."""

from __future__ import annotations

from typing import Any

import orjson

from sharedhash.server.act import service
from sharedhash.server.rules.engine import Decision


def _match(n: int, **video: Any) -> dict[str, Any]:
    return {
        "query": n % 2,
        "list_id": 3,
        "list_name": "zorblax",
        "classification": "A1",
        "labels": ["quuxvid", "ü\n"] if n % 3 else [],
        "hash_type": "pdq",
        "distance": n,
        "entry_id": 100 + n,
        "feedback": {"dispute": n % 2, "confirm": 1},
        **video,
    }


def test_match_details_equal_the_details_of_each_match() -> None:
    video = {"matched_hash_type": "vpdq", "query_percent": 80.0, "listed_percent": None, "query_seconds": 3.5}
    matches = [_match(0), _match(1), _match(2, **video), _match(3), _match(4, query_seconds=None), _match(5)]
    items = [
        service._Item(service.ContentMeta(f"c-{n}"), [("pdq", f"{n:064x}"), ("md5", f"{n:032x}")], None)
        for n in range(3)
    ]
    items[0].matches = matches[:2]
    items[2].matches = matches[2:]
    review = Decision(actions=[{"type": "review", "queue": "default"}])
    quiet = Decision(actions=[], rule="quiet", suppressed=True)
    decisions = {
        0: [(review, ["review"], '["review"]', False), (quiet, [], "[]", False)],
        2: [(quiet, [], "[]", False), (review, ["review"], '["review"]', False)] * 2,
    }
    cols: list[Any] = []
    details: list[dict[str, Any]] = []
    service._match_columns(items, [0, 2], decisions, [10, 11, 12], cols, details)
    expected = [
        {**service._details(m), "suppressed": d.suppressed}
        for n in (0, 2)
        for m, (d, *_) in zip(items[n].matches, decisions[n], strict=True)
    ]
    assert details == expected
    assert [list(d) for d in details] == [list(e) for e in expected]  # the same key order
    assert [c[5] for c in cols] == [orjson.dumps(e).decode() for e in expected]
    assert [c[0] for c in cols] == [10, 10, 12, 12, 12, 12]
    assert "query_percent" in details[2]
    assert "listed_percent" not in details[2]
    assert "query_seconds" not in details[4]
