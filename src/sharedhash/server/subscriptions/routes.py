"""``/v1/subscriptions``: an org admin lists, reads and removes the org's subscriptions to other hubs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from sharedhash.server.deps import Admin, State
from sharedhash.server.subscriptions import service
from sharedhash.server.subscriptions.schemas import SubscriptionOut

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

#: Ids are 64-bit: anything larger is refused by validation (422), never reaches the database.
SubId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="The subscription's id.")]


@router.get("", response_model=list[SubscriptionOut], summary="The org's subscriptions")
def subscriptions(state: State, caller: Admin) -> list[SubscriptionOut]:
    """Every subscription of the caller's org, with its last run, last error and lag (never the remote key)."""
    return [SubscriptionOut.of(s) for s in service.org_subscriptions(state, caller)]


@router.get("/{sub_id}", response_model=SubscriptionOut, summary="One subscription")
def one(sub_id: SubId, state: State, caller: Admin) -> SubscriptionOut:
    """One subscription of the caller's org: last run, last error, lag and when it runs next."""
    return SubscriptionOut.of(service.subscription(state, caller, sub_id))


@router.delete("/{sub_id}", response_model=SubscriptionOut, summary="Remove a subscription")
def remove(sub_id: SubId, state: State, caller: Admin) -> SubscriptionOut:
    """Stop syncing: the subscription is deleted; the mirrored lists it made stay, no longer updated."""
    return SubscriptionOut.of(service.remove(state, caller, sub_id))
