"""Subscriptions as the API shows them: never the remote key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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

    @classmethod
    def of(cls, fields: dict[str, Any]) -> SubscriptionOut:
        """From :meth:`sharedhash.store.mirror.SubscriptionStatus.to_dict`."""
        return cls.model_validate(fields)
