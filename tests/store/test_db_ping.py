"""PostgreSQL's pooled connections are pinged before use only after sitting idle (store/db.py, ``_ping_when_idle``):
a connection in steady use is handed out without a round trip, and one the server dropped while it was idle is
replaced before the transaction runs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from sharedhash.store import db as db_module
from sharedhash.store.db import Database


def _pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    seen: list[int] = []
    real = db.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    return seen


def test_a_connection_in_use_is_not_pinged_an_idle_one_is(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no server connection to ping")
    pings = _pings(db, monkeypatch)
    with db.writing() as s:
        s.execute(text("SELECT 1"))
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 60.0)
    pings.clear()
    for _ in range(3):
        with db.writing() as s:
            s.execute(text("SELECT 1"))
    assert pings == []
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.0)
    for _ in range(3):
        with db.reading() as s:
            s.execute(text("SELECT 1"))
    assert len(pings) == 3


def test_a_connection_dropped_while_idle_is_replaced_before_use(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no server connection to drop")
    with db.writing() as s:
        s.execute(text("SELECT 1"))
    # Every connection of the pool dropped by the server (as a restart would), from a connection outside it.
    other = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with other.connect() as c:
            dropped = c.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        other.dispose()
    assert dropped >= 1
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0.0)  # the pooled connection counts as idle
    with db.writing() as s:
        assert s.execute(text("SELECT 1")).scalar_one() == 1
