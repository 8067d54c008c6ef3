"""A test hub in process: the app on a fresh database per test (SQLite, and PostgreSQL when configured) with
three orgs (the ``hub`` fixture), its settings, its seeded keys, and its shared state."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sharedhash.server.app import create_app
from sharedhash.server.state import HubState
from sharedhash.settings import Settings
from sharedhash.store.db import open_database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import create_key, create_org
from tests.support.db import TestClient


@dataclass
class Hub:
    """A running app and keys for three orgs: ``owner``, ``sharee`` and ``stranger`` (plus read-only keys)."""

    client: TestClient
    keys: dict[str, str]
    settings: Settings

    def auth(self, who: str) -> dict[str, str]:
        """Headers authenticating as ``who``."""
        return {"Authorization": f"Bearer {self.keys[who]}"}


def make_settings(tmp_path: Path, url: str, **overrides: object) -> Settings:
    """Settings for a test hub."""
    return Settings(data_dir=tmp_path / "data", database_url=url, index_follow_seconds=0.2, **overrides)  # type: ignore[arg-type]


def seed_orgs(url: str) -> dict[str, str]:
    """Create the three test orgs with admin keys, and read-only keys ``<org>_read``; return the tokens."""
    database = open_database(url)
    keys: dict[str, str] = {}
    try:
        with database.writing() as s:
            for name in ("owner", "sharee", "stranger"):
                org = create_org(s, name, is_operator=name == "owner")
                keys[name] = create_key(s, org.id, frozenset({Scope.ADMIN})).token
                keys[f"{name}_read"] = create_key(s, org.id, frozenset({Scope.READ})).token
                keys[f"{name}_contribute"] = create_key(s, org.id, frozenset({Scope.CONTRIBUTE})).token
    finally:
        database.dispose()
    return keys


def wait_ready(client: TestClient, timeout: float = 20) -> None:
    """Block until /readyz answers 200."""
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not become ready")
        time.sleep(0.02)


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[Hub]:
    """A ready hub with three orgs."""
    keys = seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_ready(client)
        yield Hub(client=client, keys=keys, settings=settings)


def state_of(hub: Hub) -> HubState:
    """The running app's shared state."""
    state: HubState = hub.client.app.state.hub  # type: ignore[attr-defined]
    return state
