"""``/healthz`` (the process lives) and ``/readyz`` (lookups would be complete: the indexes are loaded)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sharedhash.server.deps import State
from sharedhash.server.health import service

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Lookups would be complete", responses={503: {"description": "Not ready yet"}})
def readyz(state: State) -> JSONResponse:
    """200 once the indexes are built from the database; 503 with ``index_loading`` until then."""
    ready, body = service.readiness(state)
    if not ready:
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})
    return JSONResponse(body)
