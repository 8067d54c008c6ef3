"""Entries and their hashes: endpoints (routes.py), service (service.py), schemas (schemas.py)."""
