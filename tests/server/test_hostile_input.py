"""Hostile input (issue 18): every route of the app, walked from its own OpenAPI table, is sent bad values in
every parameter and body field; nothing answers 5xx, nothing bad is stored, and afterwards every list still reads
(lookups, entry pages, exports, the feed, and a node's sync). Also: a bad row already in the database (as written
before the rule, or by another tool) breaks no reader."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text

from sharedhash.client import Client
from sharedhash.server.app import create_app
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.api import add, assert_error, md5, new_list
from tests.support.db import TestClient
from tests.support.hub import Hub, make_settings, seed_orgs, wait_ready

LONE_SURROGATE = "\ud800"
NUL = "zorb\x00lax"
MEGABYTE = "z" * (1 << 20)
NOT_NFC = "zorble\u0301x"  # e + combining acute: NFC would be one code point
BAD_STRINGS = {"surrogate": LONE_SURROGATE, "nul": NUL, "1mb": MEGABYTE, "not_nfc": NOT_NFC}
#: What a URL can carry (httpx refuses URLs over 64 KiB): the megabyte string is cut to this in paths and queries.
URL_STRINGS = {**BAD_STRINGS, "1mb": "z" * 60_000}
BAD_INTEGERS = {"2^63": 2**63, "-1": -1, "10^30": 10**30}
BAD_TIMES = {"naive": "2030-01-01T00:00:00", "year_10000": "10000-01-01T00:00:00Z", "edge": "9999-12-31T23:00:00-14:00"}
DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def _dumps(body: Any) -> bytes:
    # ensure_ascii: a lone surrogate travels as the JSON escape "\ud800", as a hostile client sends it.
    return json.dumps(body).encode()


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            if option.get("type") != "null":
                return _resolve(option, spec)
    return schema


class Walker:
    """Valid baseline values for every parameter and body field of the API, and their hostile variants."""

    def __init__(self, hub: Hub, spec: dict[str, Any], ids: dict[str, Any]) -> None:
        self.hub = hub
        self.spec = spec
        self.ids = ids
        self.counter = 0
        self.statuses: list[tuple[int, str]] = []

    def baseline(self, name: str, schema: dict[str, Any]) -> Any:
        schema = _resolve(schema, self.spec)
        if "enum" in schema:
            return "members" if "members" in schema["enum"] else schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties")
            if props is None:  # a free-form object (the deterrence catalog): one string to poke at
                return {"zorblax": "plimmer"}
            return {key: self.baseline(key, sub) for key, sub in props.items()}
        if kind == "array":
            item = self.baseline(name, schema.get("items", {}))
            return [item]
        if kind == "integer":
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
            return max(1, int(low)) if "maximum" not in schema or schema["maximum"] >= 1 else int(low)
        if kind == "boolean":
            return False
        if schema.get("format") == "date-time":
            return "2030-01-01T00:00:00Z"
        self.counter += 1
        return {
            "hash_type": "md5",
            "value": md5(9000 + self.counter),
            "query": "zorblax",
            "org": "sharee",
            "scopes": "read",
            "classification": "A1",
        }.get(name, f"zorblax-{self.counter}")

    def variants(self, body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, Any]]:
        """``(what, body)`` with one leaf replaced by each hostile value of its kind."""
        leaf = _get(body, path)
        if isinstance(leaf, dict):
            for key in leaf:
                yield from self.variants(body, (*path, key))
            return
        if isinstance(leaf, list):
            for index in range(len(leaf)):
                yield from self.variants(body, (*path, index))
            return
        where = ".".join(map(str, path))
        value: Any
        if isinstance(leaf, bool):
            for label, value in (("int_for_bool", 1), ("str_for_bool", "true")):
                yield f"{where}={label}", _set(body, path, value)
        elif isinstance(leaf, int):
            for label, value in {**BAD_INTEGERS, "true": True, "str": "31"}.items():
                yield f"{where}={label}", _set(body, path, value)
        elif isinstance(leaf, str):
            bad = {**BAD_STRINGS, **BAD_TIMES} if leaf.endswith("T00:00:00Z") else BAD_STRINGS
            for label, value in bad.items():
                yield f"{where}={label}", _set(body, path, value)

    def send(self, method: str, url: str, what: str, **kwargs: Any) -> None:
        headers = {**self.hub.auth("owner"), **kwargs.pop("headers", {})}
        response = self.hub.client.request(method, url, headers=headers, **kwargs)
        label = f"{method} {url[:80]} {what}"
        assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:300]}"
        assert response.headers["x-content-type-options"] == "nosniff", label
        if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            assert "error" in body or "errors" in body, f"{label}: {body}"
            if "error" in body:
                assert isinstance(body["error"]["code"], str), label
                assert body["error"]["code"], label
        self.statuses.append((response.status_code, label))

    def path_values(self, path: str) -> dict[str, str]:
        return {name: str(value) for name, value in self.ids.items() if "{" + name + "}" in path}

    def walk(self, method: str, path: str, operation: dict[str, Any]) -> None:
        params = operation.get("parameters", [])
        values = self.path_values(path)
        query = {p["name"]: self.baseline(p["name"], p["schema"]) for p in params if p["in"] == "query"}
        query = {k: v for k, v in query.items() if k not in ("after", "before", "format")}
        content = operation.get("requestBody", {}).get("content", {})
        body = self.baseline("", content["application/json"]["schema"]) if "application/json" in content else None

        def url(vals: dict[str, str]) -> str:
            out = path
            for name, value in vals.items():
                out = out.replace("{" + name + "}", quote(value, safe=""))
            return out

        def request(vals: dict[str, str], q: dict[str, Any], b: Any, what: str) -> None:
            # A URL cannot carry a lone surrogate: its UTF-8-like bytes go instead (not UTF-8 either).
            raw_query = "&".join(f"{k}=%ED%A0%80" for k, v in q.items() if v == LONE_SURROGATE)
            q = {k: v for k, v in q.items() if v != LONE_SURROGATE}
            kwargs: dict[str, Any] = {"params": q}
            if b is not None:
                kwargs["content"] = _dumps(b)
                kwargs["headers"] = {"content-type": "application/json"}
            elif "multipart/form-data" in content:
                kwargs["files"] = {"file": ("zorblax.bin", b"zorblax")}
            self.send(method, url(vals) + (f"?{raw_query}" if raw_query else ""), what, **kwargs)

        value: Any
        bad_path = {**{k: str(v) for k, v in BAD_INTEGERS.items()}, "nul": NUL, "long": "z" * 60_000}
        bad_path["not_nfc"] = NOT_NFC
        bad_path["bad_utf8"] = "%ED%A0%80"  # a surrogate's bytes: not UTF-8
        for name in values:
            for label, value in bad_path.items():
                vals = {**values, name: value}
                if label == "bad_utf8":
                    self.send(method, url(values).replace(quote(values[name], safe=""), value, 1), "path=bad_utf8")
                    continue
                request(vals, query, body, f"path {name}={label}")
        for name, base in query.items():
            hostile: dict[str, Any] = {**URL_STRINGS} if isinstance(base, str) else {**BAD_INTEGERS}
            for label, value in hostile.items():
                request(values, {**query, name: value}, body, f"query {name}={label}")
        for name in ("after", "before"):
            if any(p["name"] == name for p in params):
                for label, value in {**BAD_INTEGERS, **URL_STRINGS}.items():
                    request(values, {name: value}, body, f"query {name}={label}")
        if "multipart/form-data" in content:
            for field in ("max_distance", "dihedral"):
                for label, value in {**BAD_INTEGERS, **BAD_STRINGS}.items():
                    if label == "surrogate":
                        continue  # a form field's bytes cannot hold one
                    self.send(
                        method,
                        url(values),
                        f"form {field}={label}",
                        files={"file": ("z.bin", b"zorblax")},
                        data={field: str(value)},
                    )
        if body is not None:
            for what, mutated in self.variants(body):
                request(values, query, mutated, f"body {what}")
            if isinstance(body, dict):
                request(values, query, {**body, LONE_SURROGATE: 1}, "body surrogate_key")
            headers = {"content-type": "application/json"}
            for label, raw in (("deep_array", DEEP), ("deep_object", DEEP_OBJECT), ("not_utf8", b'{"a":"\xff"}')):
                self.send(method, url(values), f"body {label}", content=raw, headers=headers)
            request(values, query, body, "baseline")
        if method in ("POST", "PUT", "PATCH"):
            huge = b"0" * (50 * 1024 * 1024)
            self.send(method, url(values), "body 50MB", content=huge, headers={"content-type": "application/json"})
        if path.endswith("/import"):
            lines = [
                _dumps({"hashes": [{"hash_type": "md5", "value": md5(7000)}], "labels": [value]})
                for value in BAD_STRINGS.values()
            ]
            for index, line in enumerate(lines):
                self.send(method, url(values), f"import jsonl {index}", content=line + b"\n")
            csv_bodies = {
                "field_over_limit": "md5,labels\n" + md5(7001) + ',"' + "z" * 140_000 + '"\n',
                "unterminated": "md5,labels\n" + md5(7002) + ',"zorblax\n',
                "nul": "md5,labels\n" + md5(7003) + ",zorb\x00lax\n",
                "not_nfc": "md5,labels\n" + md5(7004) + "," + NOT_NFC + "\n",
            }
            for label, csv_body in csv_bodies.items():
                self.send(method, url(values) + "?format=csv", f"import csv {label}", content=csv_body.encode())
                assert self.statuses[-1][0] == 400, self.statuses[-1]
        if method == "GET" and not values and not query:
            request(values, {}, None, "baseline")


def _get(body: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        body = body[part]
    return body


def _set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(body)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return out


def _lists_read(hub: Hub, node_url: str) -> None:
    """Every list the owner reads answers its pages, both exports and its feed; lookups answer; a node syncs."""
    auth = hub.auth("owner")
    lists = hub.client.get("/v1/hash-lists", headers=auth)
    assert lists.status_code == 200, lists.text
    assert lists.json()
    for lst in lists.json():
        base = f"/v1/hash-lists/{lst['id']}"
        page = hub.client.get(f"{base}/entries", params={"limit": 1000}, headers=auth)
        assert page.status_code == 200, page.text
        for entry in page.json()["entries"]:
            for h in entry["hashes"]:
                query = {"hash_type": h["hash_type"], "value": h["value"]}
                found = hub.client.post("/v1/lookup", json={"hashes": [query]}, headers=auth)
                assert found.status_code == 200, found.text
                one = hub.client.get(f"/v1/entries/{entry['id']}", headers=auth)
                assert one.status_code == 200, one.text
        for fmt in ("jsonl", "csv"):
            export = hub.client.get(f"{base}/export", params={"format": fmt}, headers=auth)
            assert export.status_code == 200, export.text
            export.content.decode("utf-8")
            if fmt == "jsonl":
                assert len([json.loads(x) for x in export.text.splitlines()]) == len(page.json()["entries"])
        feed = hub.client.get(f"{base}/feed", headers=auth)
        assert feed.status_code == 200, feed.text
        assert feed.json()["list_id"] == lst["id"]
    node = open_database(node_url)
    try:
        transport = hub.client._transport  # noqa: SLF001 (the in-process app, for the sync client)
        with Client("http://testserver", hub.keys["sharee"], transport=transport) as client:
            synced = sync_from(node, client)
        readable = hub.client.get("/v1/hash-lists", headers=hub.auth("sharee")).json()
        assert len(synced.lists) == len([x for x in readable if x["owner"] != "sharee"])
    finally:
        node.dispose()


def _seed(hub: Hub) -> dict[str, Any]:
    lst = new_list(hub, name="hostile", visibility="members")
    entry = add(hub, lst["id"], ("md5", md5(1)), ("md5", md5(2)), labels=["zorblax"])
    spare = hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json()
    r = hub.client.put("/v1/deterrence/settings", json={"public": True}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    return {
        "list_id": lst["id"],
        "entry_id": entry["id"],
        "key_id": spare["id"],
        "org": "owner",
        "token": "zorblax",
        "hash_type": "md5",
        "value": md5(2),
    }


def test_every_route_refuses_hostile_values_without_a_server_error(hub: Hub, tmp_path: Path) -> None:
    spec = hub.client.get("/openapi.json").json()
    walker = Walker(hub, spec, _seed(hub))
    operations = [(m.upper(), p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    # Removals last, so that the other routes are walked with ids that exist.
    operations.sort(key=lambda o: o[0] == "DELETE")
    assert len(operations) >= 30
    for method, path, operation in operations:
        walker.walk(method, path, operation)
    statuses = [s for s, _ in walker.statuses]
    assert len(statuses) > 400
    assert any(s < 300 for s in statuses)
    assert any(400 <= s < 500 for s in statuses)
    # Nothing hostile was stored: every text the API hands back is valid, NFC Unicode without NUL.
    everything = hub.client.get("/v1/hash-lists", headers=hub.auth("owner")).text
    assert "\\ud800" not in everything
    assert "\\u0000" not in everything
    _lists_read(hub, f"sqlite:///{tmp_path / 'node.db'}")


def test_a_label_with_a_lone_surrogate_is_refused_before_anything_is_written(hub: Hub) -> None:
    # The reproduction: a sharee with contribute access sends a label "\ud800" to the owner's list.
    lst = new_list(hub, name="shared", visibility="shared", shares=[{"org": "sharee", "access": "contribute"}])
    raw = b'{"hashes": [{"hash_type": "md5", "value": "' + md5(5).encode() + b'"}], "labels": ["\\ud800"]}'
    headers = {**hub.auth("sharee"), "content-type": "application/json"}
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/entries", content=raw, headers=headers)
    assert_error(r, 422, "invalid_text")
    assert hub.client.get(f"/v1/hash-lists/{lst['id']}", headers=hub.auth("owner")).json()["last_seq"] == 0
    for value, code in ((NOT_NFC, "invalid_text"), (NUL, "invalid_text")):
        r = hub.client.post("/v1/hash-lists", json={"name": value}, headers=hub.auth("owner"))
        assert_error(r, 422, code)


@pytest.mark.parametrize("stored", ['["\\ud800"]', '["zorb\\udfffx", "\\ud83d\\ude00"]'])
def test_one_bad_stored_row_breaks_no_reader(database_url: str, tmp_path: Path, stored: str) -> None:
    # Defence in depth: a row holding a lone surrogate (written before the text rule, or by another tool) is read
    # with U+FFFD in its place, so lookups, pages, exports, the feed and sync of that list and later lists work.
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        hub = Hub(client=client, keys=keys, settings=settings)
        bad = new_list(hub, name="bad", visibility="members")
        entry = add(hub, bad["id"], ("md5", md5(1)), labels=["zorblax"])
    database = open_database(database_url)
    try:
        with database.writing() as session:
            session.execute(
                text("UPDATE entries SET labels = :labels WHERE id = :id"), {"labels": stored, "id": entry["id"]}
            )
            snap = {**{k: v for k, v in entry.items() if k not in ("created", "feedback")}, "labels": ["@"]}
            snap_text = json.dumps(snap).replace('["@"]', stored)
            session.execute(
                text("UPDATE changes SET entry = :e WHERE entry_id = :id"), {"e": snap_text, "id": entry["id"]}
            )
    finally:
        database.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        hub = Hub(client=client, keys=keys, settings=settings)
        later = new_list(hub, name="later", visibility="members")
        add(hub, later["id"], ("md5", md5(2)), labels=["plimmer"])
        got = hub.client.get(f"/v1/entries/{entry['id']}", headers=hub.auth("sharee"))
        assert got.status_code == 200, got.text
        assert "\ufffd" in "".join(got.json()["labels"])
        if "ude00" in stored:
            assert "\U0001f600" in got.json()["labels"]  # a well-formed pair is still the emoji
        match = hub.client.post(
            "/v1/lookup", json={"hashes": [{"hash_type": "md5", "value": md5(1)}]}, headers=hub.auth("sharee")
        )
        assert match.status_code == 200, match.text
        assert "\ufffd" in "".join(match.json()["matches"][0]["labels"])
        _lists_read(hub, f"sqlite:///{tmp_path / 'node.db'}")
