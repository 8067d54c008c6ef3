"""The API's routers, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from sharedhash.server.routes import audit, bulk, entries, health, keys, lists, lookup, orgs
from sharedhash.server.routes import deterrence as deterrence_routes

ROUTERS: list[APIRouter] = [
    health.router,
    orgs.router,
    keys.router,
    lists.router,
    bulk.router,
    entries.router,
    lookup.router,
    audit.router,
    deterrence_routes.router,
]
