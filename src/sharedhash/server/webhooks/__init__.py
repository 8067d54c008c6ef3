"""Webhooks: org endpoints (routes.py, service.py, schemas.py), the addresses the node may send to (urls.py),
Standard Webhooks signing (signing.py) and the delivery worker that empties the outbox (worker.py)."""
