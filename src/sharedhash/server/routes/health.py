"""``/healthz`` (the process lives) and ``/readyz`` (lookups would be complete: the indexes are loaded)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sharedhash.server.deps import State

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Lookups would be complete", responses={503: {"description": "Not ready yet"}})
def readyz(state: State) -> JSONResponse:
    """200 once the indexes are built from the database; 503 with ``index_loading`` until then."""
    if not state.indexes.ready.is_set():
        code, message = (
            ("index_load_failed", state.indexes.load_error)
            if state.indexes.load_error
            else ("index_loading", "the indexes are still loading")
        )
        body = {"error": {"code": code, "message": message, "hint": "Retry shortly; lookups wait until ready."}}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})
    entries = state.caches.entries
    # The entry cache only speeds lookups up (a miss reads the database), so warming does not make this a 503;
    # it is shown so that operators and benchmarks can tell a warm server from one still catching up.
    cache = {"entries": len(entries), "warming": entries.warming}
    ready: dict[str, object] = {
        "status": "ready",
        "indexes": state.indexes.sizes(),
        "compacting": state.indexes.compacting(),
        "entry_cache": cache,
    }
    return JSONResponse(ready)
