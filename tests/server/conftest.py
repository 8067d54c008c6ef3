"""Server fixtures: the app on a fresh database per test (SQLite, and PostgreSQL when configured), three orgs
(see :mod:`tests.support.hub`)."""

from __future__ import annotations

from tests.support.act import act_hub
from tests.support.db import database_url, db, pg_template
from tests.support.hub import hub

__all__ = ["act_hub", "database_url", "db", "hub", "pg_template"]
