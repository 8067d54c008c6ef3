"""Deterrence of searches: endpoints (routes.py) and their fast path (fast.py), with what both share
(answers.py), service (service.py), schemas (schemas.py), CORS (cors.py), limits (limits.py), rules (rules.py)
and click-through tokens (tokens.py)."""
