"""Server fixtures: the app on a fresh database per test (SQLite, and PostgreSQL when configured), three orgs
(see :mod:`tests.support.hub`); the review app and a media host (see :mod:`tests.support.review`)."""

from __future__ import annotations

from tests.support.act import act_hub
from tests.support.db import database_url, db, pg_template
from tests.support.hub import hub
from tests.support.reports import platform_hook, standin
from tests.support.review import media_server, review_hub
from tests.support.webhooks import receiver, webhook_hub

__all__ = [
    "act_hub",
    "database_url",
    "db",
    "hub",
    "media_server",
    "pg_template",
    "platform_hook",
    "receiver",
    "review_hub",
    "standin",
    "webhook_hub",
]
