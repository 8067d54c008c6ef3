"""Disputes: the owner's view of verdicts, the inbox, resolutions, the quarantine policy: endpoints (routes.py),
service (service.py), schemas (schemas.py)."""
