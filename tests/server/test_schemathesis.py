"""A bounded schemathesis run against the OpenAPI schema: no input the schema allows (or breaks) yields a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from sharedhash.server.app import create_app
from tests.support.db import TestClient
from tests.support.hub import make_settings, seed_orgs, wait_ready

_KEYS: dict[str, str] = {}


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

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
            statuses.append(response.status_code)

        check()
    # The run really exercised the API: many calls, both accepted and refused.
    assert len(statuses) > 5 * len(operations)
    assert any(s < 300 for s in statuses)
    assert any(400 <= s < 500 for s in statuses)
