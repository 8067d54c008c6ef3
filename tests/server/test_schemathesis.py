"""A bounded schemathesis run against the OpenAPI schema: no input the schema allows (or breaks) yields a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from sharedhash.server.app import create_app
from tests.support.db import TestClient
from tests.support.hub import make_settings, seed_orgs, wait_ready

_KEYS: dict[str, str] = {}

#: Values the schema's own generators rarely or never produce (issue 18): NUL, non-NFC and long text, integers
#: past 64 bits, booleans and strings where integers go, times without a zone or out of range.
ODD_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [
        "zorb\x00lax",
        "zorble\u0301x",
        "z" * 70_000,
        2**63,
        -1,
        10**30,
        True,
        "31",
        "2030-01-01T00:00:00",
        "10000-01-01T00:00:00Z",
        None,
        [],
        {},
    ]
)


#: Values for path and query parameters (issue 17): integers far past 64 bits either way, numbers in other forms
#: and scripts, and odd strings. Every one must be answered with a 4xx, never a 5xx.
ODD_PARAMS: st.SearchStrategy[Any] = st.sampled_from(
    [
        2**63,
        2**64,
        10**30,
        -(2**63) - 1,
        0,
        -1,
        "99999999999999999999999",
        "1e3",
        "0x10",
        "١٢",
        "zorble\u0301x",
        "z" * 5000,
        " ",
        "../zorblax",
        "zorblax%00",
        "true",
        "",
    ]
)


def _with_odd_params(params: dict[str, Any] | None, data: st.DataObject) -> dict[str, Any] | None:
    """Path or query parameters with some values replaced by :data:`ODD_PARAMS`."""
    if not params:
        return params
    return {k: data.draw(ODD_PARAMS) if data.draw(st.booleans()) else v for k, v in params.items()}


def _with_odd_values(body: Any, data: st.DataObject) -> Any:
    """``body`` with some of its leaves (and maybe a new key) replaced by :data:`ODD_VALUES`."""
    if isinstance(body, dict):
        out = {k: _with_odd_values(v, data) for k, v in body.items()}
        if data.draw(st.integers(0, 9)) == 0:
            out[data.draw(st.sampled_from(["zorb\x00lax", "zorblax"]))] = data.draw(ODD_VALUES)
        return out
    if isinstance(body, list):
        return [_with_odd_values(v, data) for v in body]
    # Lone surrogates are sent by tests/server/test_hostile_input.py: schemathesis writes bodies as UTF-8.
    return data.draw(ODD_VALUES) if data.draw(st.integers(0, 3)) == 0 else body


@pytest.fixture
def api_schema(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """The schema of a running app whose database holds a list, an entry and a shared list to poke at."""
    _KEYS.update(seed_orgs(database_url))
    app = create_app(make_settings(tmp_path, database_url))
    with TestClient(app, raise_server_exceptions=False) as client:
        wait_ready(client)
        auth = {"Authorization": f"Bearer {_KEYS['owner']}"}
        lst = client.post("/v1/hash-lists", json={"name": "main", "visibility": "members"}, headers=auth).json()
        body = {"hashes": [{"hash_type": "md5", "value": "0" * 32}, {"hash_type": "pdq", "value": "f" * 64}]}
        client.post(f"/v1/hash-lists/{lst['id']}/entries", json=body, headers=auth)
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema: Any) -> None:
    # schemathesis's own pytest plugin does not run under pytest 9 yet, so each operation's strategy is driven
    # by hypothesis directly; bounded to keep the suite fast.
    headers = {"Authorization": f"Bearer {_KEYS['owner']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 15
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def check(case: Any, data: st.DataObject) -> None:
            if isinstance(case.body, dict | list) and data.draw(st.booleans()):
                case.body = _with_odd_values(case.body, data)
            if data.draw(st.booleans()):
                case.path_parameters = _with_odd_params(case.path_parameters, data)
                case.query = _with_odd_params(case.query, data)
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses.append(response.status_code)

        check()
    # The run really exercised the API: many calls, both accepted and refused.
    assert len(statuses) > 5 * len(operations)
    assert any(s < 300 for s in statuses)
    assert any(400 <= s < 500 for s in statuses)


def _surrogates_and_naive_times(body: Any, data: st.DataObject) -> Any:
    """``body`` with string leaves turned into lone surrogates or naive times, and integers into huge ones."""
    if isinstance(body, dict):
        return {k: _surrogates_and_naive_times(v, data) for k, v in body.items()}
    if isinstance(body, list):
        return [_surrogates_and_naive_times(v, data) for v in body]
    if isinstance(body, str):
        return data.draw(st.sampled_from([body, "\ud800" + body, body + "\udfff", "2030-06-01T12:00:00", "0000-00-00"]))
    if isinstance(body, int) and not isinstance(body, bool):
        return data.draw(st.sampled_from([body, 2**63, -(2**63) - 1, 10**30, 2**1000]))
    return body


#: Whole bodies no schema describes: nested 10,000 levels, a few megabytes of small items (parsed off the loop),
#: over the request limit, and a key that is a lone surrogate.
HOSTILE_BODIES: list[bytes] = [
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a": ' * 10_000 + b"1" + b"}" * 10_000,
    b'{"hashes": [' + b",".join([b'{"hash_type": "md5", "value": "' + b"0" * 32 + b'"}'] * 60_000) + b"]}",
    b"[" + b"1," * (17 * 1024 * 1024 // 2) + b"1]",
    b'{"\\ud800": 1}',
]


def test_no_server_errors_from_hostile_generators(api_schema: Any, database_url: str) -> None:
    """Every operation with a body gets schemathesis's bodies with lone surrogates (sent as JSON escapes, the
    way a client can), naive times and huge integers, and each of :data:`HOSTILE_BODIES`: never a 5xx."""
    headers = {"Authorization": f"Bearer {_KEYS['owner']}", "content-type": "application/json"}
    app = api_schema.app
    operations = [result.ok() for result in api_schema.get_all_operations()]
    with_body = [op for op in operations if op.body]
    assert len(with_body) > 5
    statuses: list[int] = []
    targets: list[tuple[str, str]] = []  # each operation's generated method and path
    with TestClient(app, raise_server_exceptions=False) as client:
        for operation in with_body:

            @given(case=operation.as_strategy(), data=st.data())
            @settings(
                max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
            )
            def check(case: Any, data: st.DataObject) -> None:
                targets.append((case.method, case.formatted_path))
                if not isinstance(case.body, dict | list):
                    return
                raw = json.dumps(_surrogates_and_naive_times(case.body, data)).encode()  # ensure_ascii: escapes
                r = client.request(case.method, case.formatted_path, content=raw, headers=headers, params=case.query)
                statuses.append(r.status_code)
                assert r.status_code < 500, (case.method, case.formatted_path, r.text[:300])

            targets.clear()
            check()
            method, path = targets[0]
            for body in HOSTILE_BODIES:
                r = client.request(method, path, content=body, headers=headers)
                statuses.append(r.status_code)
                assert r.status_code < 500, (method, path, r.text[:300])
                assert r.json()["error"]["code"]
    assert any(400 <= s < 500 for s in statuses)
