"""Database engines and sessions: SQLite (WAL) in the data folder by default, PostgreSQL by URL; migrations at start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, sessionmaker

from sharedhash.settings import Settings
from sharedhash.store.textsafe import load_json

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(settings: Settings) -> str:
    """The configured URL, or a SQLite file ``sharedhash.db`` in the data folder (created if missing)."""
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.data_dir / 'sharedhash.db').resolve()}"


#: PostgreSQL: a pooled connection given back less than this many seconds ago is handed out again without a ping.
PING_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection that sat in the pool for
    :data:`PING_IDLE_SECONDS` or more (or has never been given back).

    The pre-ping is a round trip (``SELECT 1``) before every transaction: measured with py-spy at 16 concurrent
    single checks on PostgreSQL, a fifth of the group commit's writer thread went to it, one ping per group. A
    connection in steady use was working a moment ago; one the server dropped since (a restart, an idle timeout)
    fails its transaction as it would if the drop came just after a ping, and SQLAlchemy's disconnect handling
    then replaces the pool's connections. A connection idle for longer is pinged, and replaced before use if the
    ping fails (the pool's documented ``DisconnectionError`` retry), as with ``pool_pre_ping``."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["sharedhash_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        given_back = record.info.get("sharedhash_checked_in")
        if given_back is not None and time.monotonic() - given_back < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa_exc.DisconnectionError(f"the pooled connection failed its ping: {exc}") from exc


def _configure_sqlite(engine: Engine, *, autocheckpoint: bool = True) -> None:
    # pysqlite's own transaction handling issues a deferred BEGIN lazily; a deferred transaction that reads and
    # then writes fails at once with "database is locked" when another writer got in between, whatever the busy
    # timeout. So we issue BEGIN ourselves, and BEGIN IMMEDIATE on the write engine: writers queue, readers don't.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # A page cache of up to 256 MiB per connection (the default is 2 MiB): a bulk import into a list of a
        # million entries inserts at random places of the hash-value index, which then stays in memory
        # (measured: the hash inserts of a 200,000-entry import took 45% less CPU than with the default).
        cursor.execute("PRAGMA cache_size=-262144")
        if not autocheckpoint:
            # The server checkpoints in a background thread (Database.checkpoint_wal): a commit then returns once
            # its pages are in the WAL, instead of also copying them into the database file (measured: 0.4-0.8 s
            # of every 100,000-entry import's commit at 1M entries).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class DriverTransaction:
    """A write transaction on one pooled connection, for statements made on its DBAPI connection (PostgreSQL's group
    commit of single checks: :meth:`Database.driver_writing`), without an ORM session: opening, committing and
    closing a session, and asking it for its connection before each statement, cost more CPU than the few
    statements' own handling. A core ``Connection`` holds the transaction (the engine's isolation, its error
    wrapping at checkout, its rollback on an error), as a session's would.

    Statements not made on the driver (a webhook's outbox event, a review queue created on first use) run in an ORM
    session joined to the same transaction (:meth:`session`, made on first use, flushed before the commit): they
    commit or roll back with the rest. Its session events (store/changes.py) are not those of the write sessions:
    such a transaction writes nothing the caches hold."""

    __slots__ = ("_session", "connection", "dbapi", "dialect")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect: Dialect = connection.dialect
        self.dbapi: Any = connection.connection.dbapi_connection
        self._session: Session | None = None

    def session(self) -> Session:
        """An ORM session in this transaction (made on first use; it never commits: the transaction does)."""
        if self._session is None:
            self._session = Session(
                bind=self.connection, join_transaction_mode="rollback_only", expire_on_commit=False, autoflush=True
            )
        return self._session

    def _finish(self, *, flush: bool) -> None:
        if self._session is not None:
            try:
                if flush:
                    self._session.flush()
            finally:
                self._session.close()
                self._session = None


#: A write transaction as the store's driver-level functions take it: an ORM session's, or a driver transaction.
Transaction = Session | DriverTransaction


def connection_of(tx: Transaction) -> Connection:
    """The core connection of a transaction (a session's: asked of it)."""
    return tx.connection if isinstance(tx, DriverTransaction) else tx.connection()


def engine_of(tx: Transaction) -> Engine | Connection:
    """The engine of a transaction (a session's bind: the engine its connections come from)."""
    return tx.connection.engine if isinstance(tx, DriverTransaction) else tx.get_bind()


def session_of(tx: Transaction) -> Session:
    """An ORM session in the transaction (a driver transaction's joined session, made on first use)."""
    return tx.session() if isinstance(tx, DriverTransaction) else tx


def dbapi_of(tx: Transaction) -> Any:
    """The DBAPI connection of a transaction."""
    if isinstance(tx, DriverTransaction):
        return tx.dbapi
    return tx.connection().connection.dbapi_connection


@dataclass
class Database:
    """One database: an engine, and session factories for reading and for writing."""

    url: str
    engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only; closing it ends the transaction, and loaded objects stay readable."""
        with self.read_sessions() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that commits when the block ends without an error and rolls back otherwise."""
        with self.write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def driver_writing(self) -> Iterator[DriverTransaction]:
        """:meth:`writing`'s transaction without an ORM session (:class:`DriverTransaction`): commits when the block
        ends without an error (its joined session flushed first) and rolls back otherwise."""
        with self.write_engine.connect() as connection, connection.begin():
            tx = DriverTransaction(connection)
            try:
                yield tx
            except BaseException:
                tx._finish(flush=False)
                raise
            tx._finish(flush=True)

    @property
    def write_engine(self) -> Engine:
        """The engine of the write sessions (SQLite's begins its transactions with BEGIN IMMEDIATE)."""
        bind = self.write_sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def migrate(self) -> None:
        """Bring the schema up to the newest migration."""
        upgrade(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def checkpoint_wal(self) -> tuple[int, int] | None:
        """SQLite: copy the WAL's committed pages into the database file, without waiting for readers or the
        writer (a passive checkpoint); return the WAL's frames and how many are now in the file. None on
        PostgreSQL and in-memory SQLite."""
        if not self.is_sqlite or self.engine.url.database in (None, "", ":memory:"):
            return None
        with self.engine.connect() as connection:
            busy, frames, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(frames), int(done)


def is_busy_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is at capacity rather than wrong: no pooled connection came free in time,
    SQLite's write lock stayed taken past its busy timeout, or PostgreSQL has no connection slot left. The hub
    answers these 503 ``busy`` (retry), never 500 (issue 18 F10)."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.OperationalError):
        text = str(exc.orig).lower()
        return "database is locked" in text or "too many clients" in text or "remaining connection slots" in text
    return False


def open_database(
    url: str, *, migrate: bool = True, echo: bool = False, checkpoint_in_background: bool = False
) -> Database:
    """Connect to ``url`` (SQLite or PostgreSQL) and, unless told otherwise, run the migrations.

    ``checkpoint_in_background``: SQLite commits leave their pages in the WAL for :meth:`Database.checkpoint_wal`
    (the server calls it from a thread) instead of copying them into the database file themselves."""
    if url.startswith("sqlite"):
        # No server-side prepared statements: psycopg prepares a query after 5 runs, and PostgreSQL's generic
        # plan for a 1,000-value IN list was measured 20x slower than a fresh plan (bulk import's checks).
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 60},
            json_deserializer=load_json,
        )
        _configure_sqlite(engine, autocheckpoint=not checkpoint_in_background)
        write_engine: Engine = engine.execution_options(sqlite_immediate=True)
    else:
        # No server-side prepared statements: psycopg prepares a query after 5 runs, and PostgreSQL's generic
        # plan for a 1,000-value IN list was measured 20x slower than a fresh plan (bulk import's checks).
        engine = create_engine(
            url,
            echo=echo,
            pool_size=20,
            max_overflow=20,
            connect_args={"prepare_threshold": None},
            json_deserializer=load_json,
        )
        _ping_when_idle(engine)
        write_engine = engine
    db = Database(
        url=url,
        engine=engine,
        read_sessions=sessionmaker(engine, expire_on_commit=False),
        write_sessions=sessionmaker(write_engine, expire_on_commit=False),
    )
    if migrate:
        db.migrate()
    return db


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations shipped inside the package (so an installed package migrates itself)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base``: an empty schema); for going back to an older release."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config
