"""Database fixtures for the hub's tests: every test runs on SQLite and, when configured, on PostgreSQL.

Set ``SHAREDHASH_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to add the
PostgreSQL runs. Each test gets a fresh database: SQLite in a temporary folder; on PostgreSQL a database named
``sharedhash_test_*`` cloned from a migrated template, dropped after the test.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sharedhash.store.db import Database, open_database

# Starlette 1.x prefers httpx2 for its TestClient but still works with httpx, which our client is built on; the
# deprecation notice fires once, at import, so it is silenced here rather than in the project-wide filters.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

POSTGRES_URL = os.environ.get("SHAREDHASH_TEST_POSTGRES_URL")
_RUN = uuid.uuid4().hex[:8]

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="set SHAREDHASH_TEST_POSTGRES_URL to test on PostgreSQL"),
        ],
    ),
]


def _admin_execute(sql: str) -> None:
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _pg_url(name: str) -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is cloned from."""
    name = f"sharedhash_test_template_{_RUN}_{uuid.uuid4().hex[:6]}"
    _admin_execute(f"CREATE DATABASE {name}")
    db = open_database(_pg_url(name))
    db.dispose()
    try:
        yield name
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, migrated, empty database (SQLite, then PostgreSQL when configured)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hub.db'}"
        open_database(url).dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"sharedhash_test_{_RUN}_{uuid.uuid4().hex[:8]}"
    _admin_execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield _pg_url(name)
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """An open :class:`Database` on the fresh database."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()
