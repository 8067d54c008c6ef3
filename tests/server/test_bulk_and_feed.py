"""Bulk import/export (JSON lines, CSV; all-or-nothing with a per-line report) and the feed over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sharedhash.errors import InvalidInputError
from tests.support.api import add, assert_error, lookup, md5, new_list, pdq
from tests.support.hub import Hub


def _import(hub: Hub, list_id: int, body: str, fmt: str = "jsonl", who: str = "owner") -> Any:
    return hub.client.post(
        f"/v1/hash-lists/{list_id}/import?format={fmt}", content=body.encode(), headers=hub.auth(who)
    )


def _jsonl(n: int, start: int = 0) -> str:
    return "".join(
        json.dumps(
            {
                "hashes": [{"hash_type": "pdq", "value": pdq(i), "quality": 90}, {"hash_type": "md5", "value": md5(i)}],
                "classification": "B1",
                "labels": ["quuxvid"],
                "external_id": f"case-{i}",
            }
        )
        + "\n"
        for i in range(start + 1, start + n + 1)
    )


def _export(hub: Hub, list_id: int, fmt: str = "jsonl") -> str:
    r = hub.client.get(f"/v1/hash-lists/{list_id}/export?format={fmt}", headers=hub.auth("owner"))
    assert r.status_code == 200
    return str(r.text)


def test_jsonl_import_is_idempotent_and_matchable(hub: Hub) -> None:
    lst = new_list(hub)
    r = _import(hub, lst["id"], _jsonl(2500))
    assert r.status_code == 200, r.text
    assert r.json() | {"errors": []} == {
        "committed": True,
        "lines": 2500,
        "created": 2500,
        "existing": 0,
        "errors": [],
        "errors_truncated": False,
    }
    assert len(lookup(hub, ("pdq", pdq(1234)), ("md5", md5(2500)))) == 2
    again = _import(hub, lst["id"], _jsonl(2600)).json()
    assert (again["created"], again["existing"]) == (100, 2500)


def test_a_bad_line_leaves_nothing_written_and_every_error_is_reported(hub: Hub) -> None:
    lst = new_list(hub)
    lines = _jsonl(1500).splitlines()
    lines[10] = '{"hashes": [{"hash_type": "pdq", "value": "nothex"}]}'
    lines[1400] = '{"hashes": [{"hash_type": "md5", "value": "' + md5(99999) + '"}], "classification": "C9"}'
    lines.insert(700, "not json at all")
    lines.append('{"hashes": [{"hash_type": "md5", "value": "' + md5(88888) + '"}], "external_id": "case-3"}')
    r = _import(hub, lst["id"], "\n".join(lines) + "\n")
    assert r.status_code == 400
    body = r.json()
    assert not body["committed"]
    assert body["created"] == 0
    assert [(e["line"], e["code"]) for e in body["errors"]] == [
        (11, "invalid_hash"),
        (701, "invalid_input"),
        (1402, "invalid_classification"),
        (1502, "duplicate_external_id"),
    ]
    assert _export(hub, lst["id"]) == ""
    assert lookup(hub, ("md5", md5(1))) == []
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 0


def test_csv_round_trip_and_header_errors(hub: Hub) -> None:
    lst = new_list(hub)
    csv_body = "md5,pdq,pdq_quality,classification,labels,external_id\n"
    csv_body += f"{md5(1)},{pdq(1)},80,A1,zorblax;quuxvid,x-1\n{md5(2)},,,,,\n{md5(3)}|{md5(4)},,,B2,,\n"
    r = _import(hub, lst["id"], csv_body, "csv")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    exported = _export(hub, lst["id"], "csv")
    other = new_list(hub, name="copy")
    assert _import(hub, other["id"], exported, "csv").json()["created"] == 3
    strip = [
        {k: v for k, v in json.loads(x).items() if k not in ("id", "list_id", "created_at", "updated_at")}
        for x in _export(hub, lst["id"]).splitlines()
    ]
    strip2 = [
        {k: v for k, v in json.loads(x).items() if k not in ("id", "list_id", "created_at", "updated_at")}
        for x in _export(hub, other["id"]).splitlines()
    ]
    assert strip == strip2
    assert strip[0]["hashes"][1] == {"hash_type": "pdq", "value": pdq(1), "quality": 80}
    bad = _import(hub, lst["id"], "colour,md5\nred," + md5(9) + "\n", "csv")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["line"] == 1


def test_jsonl_export_imports_back(hub: Hub) -> None:
    lst = new_list(hub)
    _import(hub, lst["id"], _jsonl(50))
    other = new_list(hub, name="copy")
    assert _import(hub, other["id"], _export(hub, lst["id"])).json()["created"] == 50


def test_bad_format_and_non_utf8(hub: Hub) -> None:
    lst = new_list(hub)
    assert_error(_import(hub, lst["id"], "", "xml"), 422, "invalid_request")
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=b"\xff\xfe\n", headers=hub.auth("owner"))
    assert_error(r, 400, "invalid_input")


def test_feed_replay_equals_the_export(hub: Hub) -> None:
    lst = new_list(hub)
    _import(hub, lst["id"], _jsonl(30))
    e = add(hub, lst["id"], ("md5", md5(1000)))
    hub.client.patch(f"/v1/entries/{e['id']}", json={"classification": "A2"}, headers=hub.auth("owner"))
    first = hub.client.get(f"/v1/hash-lists/{lst['id']}/entries?limit=3", headers=hub.auth("owner")).json()
    for entry in first["entries"][:2]:
        hub.client.delete(f"/v1/entries/{entry['id']}", headers=hub.auth("owner"))
    state: dict[int, Any] = {}
    cursor = ""
    pages = 0
    while True:
        page = hub.client.get(f"/v1/hash-lists/{lst['id']}/feed?limit=7&after={cursor}", headers=hub.auth("owner"))
        assert page.status_code == 200
        data = page.json()
        pages += 1
        for change in data["changes"]:
            if change["kind"] == "tombstone":
                del state[change["entry_id"]]
            else:
                state[change["entry_id"]] = change["entry"]
        cursor = data["next_cursor"]
        if not data["has_more"]:
            break
    assert pages == 5  # 30 adds + 1 add + 1 update + 2 tombstones = 34 changes
    exported = {json.loads(x)["id"]: json.loads(x) for x in _export(hub, lst["id"]).splitlines()}
    assert state == exported
    assert_error(
        hub.client.get(f"/v1/hash-lists/{lst['id']}/feed?after=bogus", headers=hub.auth("owner")), 400, "invalid_cursor"
    )


def test_entry_rules_over_http(hub: Hub) -> None:
    lst = new_list(hub)
    url = f"/v1/hash-lists/{lst['id']}/entries"
    first = hub.client.post(
        url, json={"hashes": [{"hash_type": "md5", "value": md5(1)}], "external_id": "x"}, headers=hub.auth("owner")
    )
    assert first.status_code == 201
    again = hub.client.post(
        url, json={"hashes": [{"hash_type": "md5", "value": md5(1).upper()}]}, headers=hub.auth("owner")
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert not again.json()["created"]
    cases = [
        ({"hashes": [{"hash_type": "pdq", "value": pdq(1), "quality": 20}]}, 400, "low_quality_hash"),
        (
            {"hashes": [{"hash_type": "md5", "value": md5(2)}, {"hash_type": "md5", "value": md5(2)}]},
            400,
            "duplicate_hash",
        ),
        ({"hashes": [{"hash_type": "md5", "value": md5(3)}], "external_id": "x"}, 409, "duplicate_external_id"),
        ({"hashes": [{"hash_type": "md5", "value": md5(3)}], "classification": "Z1"}, 422, "invalid_request"),
        ({"hashes": [{"hash_type": "sha1", "value": md5(3)}]}, 400, "invalid_hash"),
        ({"hashes": [{"hash_type": "zorblax", "value": md5(3)}]}, 400, "unknown_hash_type"),
        ({"hashes": []}, 422, "invalid_request"),
        ({"hashes": [{"hash_type": "md5", "value": md5(i)} for i in range(40)]}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        assert_error(hub.client.post(url, json=body, headers=hub.auth("owner")), status, code)
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 1


def test_an_import_hands_its_hashes_to_the_indexes_and_moves_the_follower_past_them(hub: Hub) -> None:
    state = hub.client.app.state.hub  # type: ignore[attr-defined]
    lst = new_list(hub)
    first = _import(hub, lst["id"], _jsonl(40))
    assert first.status_code == 200, first.text
    # The import's changes are 1..40, and the follower had seen everything before them: nothing is read back.
    assert state.indexes._list_seq[lst["id"]] == 40
    assert len(lookup(hub, ("pdq", pdq(7)), ("md5", md5(40)))) == 2
    add(hub, lst["id"], ("md5", md5(5000)))  # seq 41: the follower picks it up
    second = _import(hub, lst["id"], _jsonl(5, start=100))
    assert second.json()["created"] == 5
    assert len(lookup(hub, ("md5", md5(5000)), ("md5", md5(103)))) == 2
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 46


def test_the_follower_waits_while_a_write_is_handed_over(hub: Hub) -> None:
    import threading

    state = hub.client.app.state.hub  # type: ignore[attr-defined]
    lst = new_list(hub)
    done = threading.Event()

    def follow() -> None:
        state.indexes.follow(state.db)
        done.set()

    with state.indexes.handing_over():
        worker = threading.Thread(target=follow)
        worker.start()
        # Between a bulk write's commit and its hand-over, a follower round would read the write back.
        assert not done.wait(0.3)
    worker.join(10)
    assert done.is_set()
    assert _import(hub, lst["id"], _jsonl(30)).status_code == 200
    assert state.indexes.follow(state.db) == 0  # nothing of the import is read back


def test_the_indexes_tell_an_import_which_values_it_must_check(hub: Hub) -> None:
    state = hub.client.app.state.hub  # type: ignore[attr-defined]
    lst, other = new_list(hub), new_list(hub, name="other")
    assert _import(hub, lst["id"], _jsonl(20)).json()["created"] == 20
    add(hub, other["id"], ("md5", md5(500)))
    seq = hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"]
    asked = [md5(3), md5(500), md5(999)]
    # Current: only the list's own active values may be present (md5(500) is another list's).
    assert state.indexes.values_maybe_in(lst["id"], seq, "md5", asked) == [md5(3)]
    # Not current (the list changed since the indexes last looked): unknown, the database decides.
    assert state.indexes.values_maybe_in(lst["id"], seq + 1, "md5", asked) is None
    # Re-importing with the hint in use still finds every existing line, and adds only the new ones.
    again = _import(hub, lst["id"], _jsonl(25)).json()
    assert (again["existing"], again["created"]) == (20, 5)


def test_a_unicode_line_separator_inside_a_json_string_does_not_split_the_line(hub: Hub) -> None:
    lst = new_list(hub)
    line = json.dumps(
        {"hashes": [{"hash_type": "md5", "value": md5(1)}], "labels": ["zorb\u2028lax"]}, ensure_ascii=False
    )
    r = _import(hub, lst["id"], line + "\r\n" + _jsonl(1, start=2))
    assert r.status_code == 200, r.text
    assert (r.json()["lines"], r.json()["created"]) == (2, 2)


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 20])
def test_json_lines_are_split_at_lf_only_whatever_the_read_size(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is read in blocks: a line (or a UTF-8 character) cut by a block's end is put back together."""
    import io
    import random

    import sharedhash.server.bulk.service as bulk_routes

    monkeypatch.setattr(bulk_routes, "_READ_BLOCK", block)
    rng = random.Random(block)
    for _ in range(200):
        lines = ["".join(rng.choice("zorb{} \u00e9\u2028\r") for _ in range(rng.randint(0, 9))) for _ in range(5)]
        text = "\n".join(lines[: rng.randint(0, 5)]) + rng.choice(["", "\n"])
        want = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
        assert list(bulk_routes._json_lines(io.BytesIO(text.encode()))) == want
    with pytest.raises(InvalidInputError):
        list(bulk_routes._json_lines(io.BytesIO(b'{"a": 1}\n\xff\xfe\n')))


def test_export_is_sent_in_blocks_not_a_line_at_a_time() -> None:
    """The streamed export joins lines into blocks (a line per streamed item cost ~10x the line itself)."""
    from sharedhash.server.bulk.service import _chunks

    lines = [f'{{"id":{i}}}\n' for i in range(10_000)]
    blocks = list(_chunks(lines, size=4096))
    assert b"".join(blocks) == "".join(lines).encode()
    assert all(len(block) >= 4096 for block in blocks[:-1])
    assert len(blocks) < len(lines) // 100
    assert list(_chunks([])) == []
