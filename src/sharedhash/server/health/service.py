"""Liveness and readiness of a running hub: the indexes are loaded (lookups would be complete)."""

from __future__ import annotations

from typing import Any

from sharedhash.server.state import HubState


def readiness(state: HubState) -> tuple[bool, dict[str, Any]]:
    """Whether the hub is ready, and the body that says so (or why not, with a stable ``code``)."""
    if not state.indexes.ready.is_set():
        code, message = (
            ("index_load_failed", state.indexes.load_error)
            if state.indexes.load_error
            else ("index_loading", "the indexes are still loading")
        )
        return False, {"error": {"code": code, "message": message, "hint": "Retry shortly; lookups wait until ready."}}
    entries = state.caches.entries
    # The entry cache only speeds lookups up (a miss reads the database), so warming does not make this a 503;
    # it is shown so that operators and benchmarks can tell a warm server from one still catching up.
    cache = {"entries": len(entries), "warming": entries.warming}
    return True, {
        "status": "ready",
        "indexes": state.indexes.sizes(),
        "compacting": state.indexes.compacting(),
        "entry_cache": cache,
    }
