"""Store fixtures: a fresh database per test on each backend, and a few orgs."""

from __future__ import annotations

from tests.hub_fixtures import database_url, db, pg_template

__all__ = ["database_url", "db", "pg_template"]
