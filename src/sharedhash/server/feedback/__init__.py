"""Feedback on entries (confirm, dispute): endpoints (routes.py), service (service.py), schemas (schemas.py)."""
