"""Bulk import and export: endpoints (routes.py), service (service.py), schemas (schemas.py)."""
