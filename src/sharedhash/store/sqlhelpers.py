"""Small SQL helpers every repository module shares: chunked IN lists, plain multi-row inserts, id reservation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, CursorResult, Table, and_, func, insert, text
from sqlalchemy.orm import Session

from sharedhash.store.db import Transaction, connection_of


def chunked(values: Iterable[int], size: int = 5000) -> Iterator[list[int]]:
    """``values`` in lists of at most ``size``: IN lists stay under PostgreSQL's 65,535 bind parameters."""
    batch = list(values)
    for start in range(0, len(batch), size):
        yield batch[start : start + size]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows with one executemany (Core, cached statement; a literal multi-row VALUES per batch was
    measured 5x slower because SQLAlchemy compiles it afresh every time)."""
    if rows:
        session.execute(insert(table), rows)


def reserve_ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` unused ids of ``table`` (entries or entry_hashes) for explicit multi-row inserts."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in session.scalars(stmt, {"t": table, "n": n})]
    # SQLite: the writing transaction began with BEGIN IMMEDIATE, so no other writer can take these ids.
    top = session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))  # noqa: S608 (fixed table names)
    return list(range(int(top or 0) + 1, int(top or 0) + 1 + n))


def driver_rows(session: Transaction, sql: str, params: tuple[Any, ...]) -> CursorResult[*tuple[Any, ...]]:
    """A small query straight through the driver (SQLAlchemy's statement handling costs more than such a query on
    the content checks' hot path); ``sql`` is written with ``%s`` placeholders (psycopg's), turned into SQLite's
    ``?``."""
    connection = connection_of(session)
    return connection.exec_driver_sql(_placeholders(connection, sql), params)


def driver_fetch(session: Transaction, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """:func:`driver_rows`' rows, fetched on the transaction's DBAPI connection without SQLAlchemy's result object
    (its set-up cost as much as a short query's round trip on the group commit's thread): values as the driver
    gives them, as :func:`driver_rows` does (``exec_driver_sql`` converts none either)."""
    connection = connection_of(session)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    sql = _placeholders(connection, sql)
    try:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _placeholders(connection: Connection, sql: str) -> str:
    """``sql`` written with psycopg's ``%s`` placeholders, for the connection's driver (SQLite's: ``?``)."""
    return sql if connection.dialect.name == "postgresql" else sql.replace("%s", "?")


def _on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def value_matches(session: Session, column: Any, value: str) -> Any:
    """``column = value`` for a hash value column, in a form that uses its unique index: on PostgreSQL the index
    is on ``md5(value)`` (values may be longer than an index row, migration ``0005_long_values``)."""
    if _on_postgres(session):
        return and_(func.md5(column) == hashlib.md5(value.encode()).hexdigest(), column == value)
    return column == value


def values_in(session: Session, column: Any, values: list[str]) -> Any:
    """``column IN values`` for a hash value column, in a form that uses its unique index (see :func:`value_matches`);
    the caller keeps only rows whose value is one of ``values`` (an md5 may collide)."""
    if _on_postgres(session):
        return func.md5(column).in_([hashlib.md5(v.encode()).hexdigest() for v in values])
    return column.in_(values)
