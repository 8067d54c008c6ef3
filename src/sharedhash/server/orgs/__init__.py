"""Orgs and their API keys: endpoints (routes.py), service (service.py), schemas (schemas.py)."""
