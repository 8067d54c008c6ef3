"""Lookup: endpoints (routes.py) and their fast path (fast.py), service (service.py), schemas (schemas.py). The
indexes and caches it reads are in :mod:`sharedhash.server.memory`, shared with the domains that keep them current."""
