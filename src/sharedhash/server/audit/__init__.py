"""The audit log: endpoint (routes.py), service (service.py), schemas (schemas.py). Lookups are tallied in
:mod:`sharedhash.server.memory.tallies`; writes are audited by each domain's service."""
