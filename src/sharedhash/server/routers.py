"""Every domain's routers, in the order the API documents them."""

from __future__ import annotations

from fastapi import APIRouter

from sharedhash.server.act import routes as act
from sharedhash.server.apidocs import routes as apidocs
from sharedhash.server.audit import routes as audit
from sharedhash.server.bulk import routes as bulk
from sharedhash.server.deterrence import routes as deterrence
from sharedhash.server.disputes import routes as disputes
from sharedhash.server.entries import routes as entries
from sharedhash.server.feed import routes as feed
from sharedhash.server.feedback import routes as feedback
from sharedhash.server.health import routes as health
from sharedhash.server.lists import routes as lists
from sharedhash.server.lookup import routes as lookup
from sharedhash.server.metrics import routes as metrics
from sharedhash.server.orgs import routes as orgs
from sharedhash.server.reports import routes as reports
from sharedhash.server.review import routes as review
from sharedhash.server.rules import routes as rules
from sharedhash.server.subscriptions import routes as subscriptions
from sharedhash.server.ui import reports as ui_reports
from sharedhash.server.ui import routes as ui
from sharedhash.server.webhooks import routes as webhooks

ROUTERS: list[APIRouter] = [
    health.router,
    orgs.router,
    orgs.keys_router,
    lists.router,
    entries.list_router,
    feed.router,
    bulk.router,
    entries.router,
    feedback.router,
    disputes.router,
    lookup.router,
    act.router,
    act.checks_router,
    rules.router,
    rules.suppressions_router,
    audit.router,
    deterrence.router,
    subscriptions.router,
    webhooks.router,
    review.router,
    ui.router,
    ui_reports.router,
    reports.settings_router,
    reports.credentials_router,
    reports.router,
    metrics.router,
    apidocs.router,
    review.quarantine_router,
]
