"""Lookup: endpoints (routes.py) and their fast path (fast.py), service (service.py), schemas (schemas.py), and
the in-memory indexes (indexes.py, hash_owners.py) and caches (caches.py, entry_cache.py) that answer it."""
