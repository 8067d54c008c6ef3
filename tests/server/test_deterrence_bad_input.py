"""Bad input to the deterrence check gets an answer, never a 5xx; bad rules are refused at import with the line."""

from __future__ import annotations

import json

from tests.support.api import assert_error, new_list
from tests.support.deterrence import ZORBLAX, add_rules, hash_json, settle
from tests.support.hub import Hub


def raw_check(hub: Hub, body: bytes) -> object:
    headers = {**hub.auth("owner"), "Content-Type": "application/json"}
    return hub.client.post("/v1/deterrence/check", content=body, headers=headers)


def test_odd_queries_get_an_answer_with_notes(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    add_rules(hub, lst["id"], ZORBLAX)
    limit = hub.settings.deterrence_max_query_chars
    cases: list[tuple[bytes, bool, list[str]]] = [
        (b'{"query": ""}', False, ["empty"]),
        (b'{"query": "   \\t  "}', False, ["empty"]),
        (b'{"query": "... --- ..."}', False, ["empty"]),
        (json.dumps({"query": "zorblax " + "a" * (limit * 5)}).encode(), True, ["truncated"]),
        (json.dumps({"query": "a " * (limit * 5) + "zorblax"}).encode(), False, ["truncated"]),
        (b'{"query": "\\u0000zor\\u0001blax\\u0002"}', True, ["control_characters"]),
        (b'{"query": "zorblax\x00\x07"}', True, ["control_characters"]),  # raw control bytes
        (b'{"query": "zorblax \xff\xfe\xc3"}', True, ["invalid_unicode"]),  # not UTF-8
        (b'{"query": "zorb\\udc80lax"}', True, ["invalid_unicode"]),  # a lone surrogate
        (b'{"query": "\\ud800"}', False, ["empty", "invalid_unicode"]),
    ]
    for body, deter, notes in cases:
        r = raw_check(hub, body)
        assert r.status_code == 200, (body[:40], r.text)  # type: ignore[attr-defined]
        answer = r.json()  # type: ignore[attr-defined]
        assert answer["deter"] is deter, body[:40]
        assert sorted(answer["notes"]) == sorted(notes), (body[:40], answer["notes"])


def test_malformed_requests_get_a_specific_error(hub: Hub) -> None:
    for body in (b"", b"not json", b"[1, 2]", b'"zorblax"', b'{"q": "zorblax"}', b'{"query": 7}',
                 b'{"query": null}', b'{"query": "x", "locale": 5}', b'{"query": "x", "country": "abcdefghij"}',
                 b'{"query": "x", "explain": "yes"}', b"\xff\xfe"):  # fmt: skip
        assert_error(raw_check(hub, body), 400, "invalid_check_request")
    huge = b'{"query": "' + b"a" * (hub.settings.max_request_bytes + 10) + b'"}'
    assert_error(raw_check(hub, huge), 413, "limit_exceeded")


def test_malformed_rule_refused_on_single_add(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    for value, reason in (
        ("term", "takes 1 text"),
        ("term zorblax severity=extreme", "unknown severity"),
        ('{"kind": "term", "text": "zorblax", "colour": "red"}', "unknown field"),
        ("near quuxvid", "takes 2 texts"),
        ("term !", "at least 2 letters"),
    ):
        body = {"hashes": [hash_json("term", value)]}
        r = hub.client.post(f"/v1/hash-lists/{lst['id']}/entries", json=body, headers=hub.auth("owner"))
        assert_error(r, 400, "invalid_rule")
        assert reason in r.json()["error"]["message"], (value, r.json())


def test_malformed_rule_refused_on_import_with_its_line(hub: Hub) -> None:
    lst = new_list(hub, name="terms")
    lines = [
        {"hashes": [hash_json("term", ZORBLAX)]},
        {"hashes": [hash_json("term", "term zorblax within=3")]},
        {"hashes": [hash_json("term", "allow")]},
        {"hashes": [hash_json("term", "term quuxvid")]},
    ]
    body = "\n".join(json.dumps(x) for x in lines).encode()
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=body, headers=hub.auth("owner"))
    assert r.status_code == 400, r.text
    report = r.json()
    assert report["committed"] is False
    assert report["created"] == 0
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(2, "invalid_rule"), (3, "invalid_rule")]
    assert "unknown option for a term rule: within" in report["errors"][0]["message"]
    entries = hub.client.get(f"/v1/hash-lists/{lst['id']}/entries", headers=hub.auth("owner")).json()
    assert entries["entries"] == []
    # Without the bad lines the import goes through and the rules fire.
    good = "\n".join(json.dumps(x) for x in (lines[0], lines[3])).encode()
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=good, headers=hub.auth("owner"))
    assert r.status_code == 200
    assert r.json()["created"] == 2
    settle(hub)
    check = hub.client.post("/v1/deterrence/check", json={"query": "quuxvid"}, headers=hub.auth("owner"))
    assert check.json()["deter"] is True
