"""The migrations: one head, every step undoes cleanly, and the migrated schema is the models' schema."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from sharedhash.store import db as dbmod
from sharedhash.store.db import Database, downgrade, upgrade
from sharedhash.store.models import Base
from tests.support.api import pdq
from tests.support.store import make_org


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(dbmod._MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_the_migrations_have_one_head() -> None:
    assert len(_script().get_heads()) == 1, "two branches of migrations: re-chain the newest one's down_revision"


def _ignorable(diff: Any) -> bool:
    """Differences autogenerate reports that are not drift: the dialect-specific unique indexes of entry_hashes
    (each backend has one of the two, see migration 0005), SQLite's ``entry_hashes.value`` left VARCHAR(512) (it
    stores text of any length; 0005 explains) and the foreign keys 0003 and 0016 drop on PostgreSQL."""
    kind = diff[0]
    if kind == "modify_type" and diff[2:4] == ("entry_hashes", "value"):
        return True
    if kind in ("add_index", "remove_index") and diff[1].name.startswith("ix_entry_hashes_active_value"):
        return True
    return kind in ("add_fk", "remove_fk") and diff[1].table.name in (
        "entries",
        "entry_hashes",
        "changes",
        "checks",
        "check_hashes",
        "matches",
        "review_items",
    )


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_the_migrated_schema_is_the_models_schema(db: Database) -> None:
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    assert [d for d in flat if not _ignorable(d)] == []


def test_every_migration_undoes_and_redoes(db: Database) -> None:
    caller = make_org(db, "quuxvid")
    assert caller.org_id
    tables = set(inspect(db.engine).get_table_names())
    downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(db.engine)
    assert set(inspect(db.engine).get_table_names()) == tables
    make_org(db, "zorbnet")  # the schema works again
    assert pdq(1)
