"""A list's change feed: endpoint (routes.py), service (service.py), schemas (schemas.py)."""
