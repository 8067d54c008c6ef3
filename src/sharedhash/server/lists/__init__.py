"""Hash lists and their shares: endpoints (routes.py), service (service.py), schemas (schemas.py)."""
