"""Subscriptions as the API shows them: never the remote key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MirrorStatusOut(BaseModel):
    """One mirrored list of a subscription: ``active``, or ``access_lost`` (the source said the access ended; the
    mirror was purged)."""

    list_id: int = Field(description="The local mirrored list's id.")
    name: str
    remote_list_id: int | None = Field(description="The list's id on the source hub.")
    status: Literal["active", "access_lost"]
    reason: str | None = Field(
        description="Why the access ended: share_removed, visibility_narrowed, list_deleted, owner_suspended, "
        "key_revoked, org_suspended or not_found."
    )
    since: datetime | None = Field(description="When the access was found to have ended.")
    entries: int = Field(description="Active entries of the mirror.")


class SubscriptionOut(BaseModel):
    """A standing pull of a remote hub into this node's mirrored lists, and how it is doing."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    org: str
    source: str = Field(alias="from", description="The remote hub's URL.")
    interval: int = Field(description="Seconds between runs.")
    created_at: datetime
    last_run_at: datetime | None = Field(description="When it last ran, successfully or not.")
    last_error: str | None = Field(description="The error of the last run (`code: message`), null if it succeeded.")
    last_success_at: datetime | None = Field(description="When a run last completed.")
    lag_seconds: float | None = Field(description="Seconds since a run last completed; null if none has yet.")
    due_at: datetime = Field(description="When the server runs it next.")
    lists: list[MirrorStatusOut] = Field(description="The mirrored lists of this source, with their status.")

    @classmethod
    def of(cls, fields: dict[str, Any]) -> SubscriptionOut:
        """From :meth:`sharedhash.store.mirror.SubscriptionStatus.to_dict`."""
        return cls.model_validate(fields)
