"""Who is calling: the API key of a request (``Authorization: Bearer shk_...``), checked against the key cache.
Used by the request dependencies (:mod:`sharedhash.server.deps`) and by the fast paths, which take only callers
they are sure of from memory and leave everyone else to the routes."""

from __future__ import annotations

from sharedhash.errors import SharedhashError
from sharedhash.server.state import HubState
from sharedhash.store.models import Scope
from sharedhash.store.orgs import KeyRecord, check_key
from sharedhash.store.security import split_token
from sharedhash.store.visibility import Caller

__all__ = ["KeyRecord", "bearer_parts", "check_key", "fresh_cached_caller", "split_token"]


def bearer_parts(authorization: bytes) -> tuple[str, str] | None:
    """The (prefix, secret) of an ``Authorization: Bearer`` header's API key, or None for anything else."""
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    return split_token(token) if scheme.lower() == "bearer" else None


def fresh_cached_caller(state: HubState, parts: tuple[str, str], scope: Scope) -> Caller | None:
    """The caller of a key that is in memory, valid, has ``scope`` and whose last-used time is fresh (so nothing
    needs writing); else None, and the route decides (authenticates, refuses or writes)."""
    record = state.caches.keys.get_cached(parts[0])
    if record is None:
        return None
    try:
        caller, stale = check_key(record, parts[1])
    except SharedhashError:
        return None
    if stale or not caller.has(scope):
        return None
    return caller
