"""Sync fixtures: real servers on loopback, a hub and a node with separate databases (see
:mod:`tests.support.live`)."""

from __future__ import annotations

from tests.support.db import database_url, db, pg_template
from tests.support.live import hub_and_node, pair

__all__ = ["database_url", "db", "hub_and_node", "pair", "pg_template"]
