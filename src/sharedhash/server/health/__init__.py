"""Liveness and readiness: endpoints (routes.py), service (service.py)."""
