"""The audit log: endpoint (routes.py), service (service.py), schemas (schemas.py), lookup tallies (buffer.py)."""
