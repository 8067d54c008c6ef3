"""The partial value index of check hashes (migration 0017_check_hash_value_index): the near-match types' rows are
left out, the exact types' rows are in it and found by value through it on both backends, and the migration
undoes and redoes over a database holding check hashes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from sharedhash.hashing import hash_type_names
from sharedhash.server.memory.check_hashes import in_memory
from sharedhash.store import checks as store
from sharedhash.store.db import Database, downgrade, upgrade
from sharedhash.store.models import check_hash_value_indexed, near_match_types, utcnow
from tests.support.store import make_org, md5, pdq


def _index_sql(db: Database) -> str:
    """The database's definition of ``ix_check_hashes_value``."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            found = connection.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_check_hashes_value'"))
        else:
            found = connection.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_check_hashes_value'"))
    assert found is not None
    return str(found)


def _left_out(db: Database) -> set[str] | None:
    """The hash types the database's value index leaves out (None: a full index). Compared with the hub's near-match
    types: a new near-match type needs a migration re-creating the index."""
    sql = _index_sql(db)
    if " WHERE " not in sql.upper():
        return None
    return {name for name in hash_type_names() if f"'{name}'" in sql}


def _some_checks(db: Database) -> int:
    """Three checks, each with one PDQ and one MD5 check hash; the org's id."""
    caller = make_org(db, "quuxvid")
    now = utcnow()
    with db.writing() as s:
        rows: list[store.CheckColumns] = []
        for i in range(3):
            key = store.idempotency_key(f"zorblax-{i}", [("pdq", pdq(i)), ("md5", md5(i))])
            rows.append((key, f"zorblax-{i}", "image", None, None, None, "[]", "[]", False, "[]"))
        ids = store.write_checks(s, caller.org_id, now, rows)
        hashes = [(c, "pdq", pdq(i)) for i, c in enumerate(ids)] + [(c, "md5", md5(i)) for i, c in enumerate(ids)]
        store.write_check_hashes(s, caller.org_id, now, hashes)
    return caller.org_id


def _by_value(db: Database) -> set[tuple[int, str]]:
    with db.reading() as s:
        found = store.check_hashes_by_value(s, "md5", [md5(0), md5(2), md5(9)], utcnow() - timedelta(days=1))
    return {(org, value) for _, _, org, value in found}


def test_the_near_match_types_are_those_of_the_in_memory_index() -> None:
    assert set(near_match_types()) == {t for t in hash_type_names() if in_memory(t)}
    assert "pdq" in near_match_types()
    assert "md5" not in near_match_types()
    assert check_hash_value_indexed().startswith("hash_type NOT IN (")


def test_the_value_index_leaves_out_near_match_types_and_the_migration_undoes_over_data(db: Database) -> None:
    org_id = _some_checks(db)
    expected = {(org_id, md5(0)), (org_id, md5(2))}
    assert _left_out(db) == set(near_match_types())
    assert _by_value(db) == expected
    downgrade(db.engine, "0016_check_writes")
    assert _left_out(db) is None
    assert _by_value(db) == expected
    upgrade(db.engine)
    assert _left_out(db) == set(near_match_types())
    assert _by_value(db) == expected  # the rows written before are found again through the rebuilt index


def test_a_lookup_by_value_uses_the_partial_index(db: Database) -> None:
    """The query plan of ``check_hashes_by_value`` names the index on both backends (SQLite only uses a partial
    index when the query repeats its condition; PostgreSQL proves it from the constants)."""
    _some_checks(db)
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "check_hashes" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert _by_value(db)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    (statement, parameters), *_ = seen
    with db.engine.connect() as connection:
        if db.is_sqlite:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")  # three rows: a scan would be cheaper
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    assert "ix_check_hashes_value" in " ".join(str(r) for r in plan)


def test_a_lookup_by_value_refuses_a_near_match_type(db: Database) -> None:
    with db.reading() as s, pytest.raises(ValueError, match="in-memory index"):
        store.check_hashes_by_value(s, "pdq", [pdq(0)], utcnow() - timedelta(days=1))
