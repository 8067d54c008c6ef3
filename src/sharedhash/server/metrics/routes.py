"""``/metrics``: the hub's metrics in the Prometheus text format (for the hub operator's keys)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sharedhash.server.deps import Reader, State
from sharedhash.server.metrics import service

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {service.CONTENT_TYPE: {"schema": {"type": "string"}}}}},
)
def metrics(state: State, caller: Reader) -> Response:
    """Checks, matches by list, actions by type, outbox depth and oldest undelivered age, outbox events by state,
    feed lag per subscription, index sizes and lookup latency (Prometheus text format; hub operator only)."""
    return Response(service.render(state, caller), media_type=service.CONTENT_TYPE)
