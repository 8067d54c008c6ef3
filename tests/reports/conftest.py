"""Report fixtures: a hub per test (SQLite, and PostgreSQL when configured) and the CyberTipline stand-in."""

from __future__ import annotations

from tests.support.db import database_url, db, pg_template
from tests.support.hub import hub
from tests.support.reports import platform_hook, report_hub, standin

__all__ = ["database_url", "db", "hub", "pg_template", "platform_hook", "report_hub", "standin"]
