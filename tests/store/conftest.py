"""Store fixtures: a fresh database per test on each backend (see :mod:`tests.support.db`)."""

from __future__ import annotations

from tests.support.db import database_url, db, pg_template

__all__ = ["database_url", "db", "pg_template"]
