"""``/v1/audit``: an org admin reads its own org's audit events, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query

from sharedhash.limits import MAX_AUDIT_PAGE, MAX_ID
from sharedhash.server.audit import service
from sharedhash.server.audit.schemas import AuditEventOut
from sharedhash.server.deps import Admin, State

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEventOut], summary="The org's audit events")
def events(
    state: State,
    caller: Admin,
    before: int | None = Query(default=None, ge=1, le=MAX_ID, description="Only events with a smaller id (paging)."),
    limit: int = Query(default=100, ge=1, le=MAX_AUDIT_PAGE),
) -> list[AuditEventOut]:
    """Who in the org did what, when; hash values appear at most as an 8-character prefix."""
    return [AuditEventOut.of(e) for e in service.events(state, caller, before=before, limit=limit)]
