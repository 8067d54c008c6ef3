"""Request and response bodies of the orgs endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import AwareTime, Lax, Strict
from sharedhash.store.models import ApiKey, Org, OrgSuspension, Scope
from sharedhash.store.orgs import IssuedKey


class OrgOut(BaseModel):
    """An org."""

    id: int
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Org) -> OrgOut:
        """From the model."""
        return cls(id=org.id, name=org.name, created_at=org.created_at)


class OrgCreate(Strict):
    """A new org (hub operator only)."""

    name: str = Field(min_length=1, max_length=limits.MAX_ORG_NAME_CHARS)


class KeyCreate(Strict):
    """A new API key for the caller's org."""

    name: str = Field(default="", max_length=limits.MAX_KEY_NAME_CHARS)
    scopes: list[Annotated[Scope, Lax]] = Field(min_length=1, max_length=3)
    expires_at: AwareTime | None = None


class KeyOut(BaseModel):
    """An API key's public facts (never the secret)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """From the model."""
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=key.scopes.split(","),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class IssuedKeyOut(KeyOut):
    """A key just created: ``key`` is shown this once and never again."""

    key: str

    @classmethod
    def issued(cls, made: IssuedKey) -> IssuedKeyOut:
        """From the store's result (the key's row and its secret)."""
        return cls(**KeyOut.of(made.key).model_dump(), key=made.token)


class OrgCreated(OrgOut):
    """A new org and its first admin key (shown once)."""

    admin_key: IssuedKeyOut


class SuspensionCreate(Strict):
    """Why an org is suspended (kept in its suspension history, shown to the operator)."""

    reason: str = Field(default="", max_length=limits.MAX_SUSPENSION_REASON_CHARS)


class SuspensionOut(BaseModel):
    """An org's suspension: while ``reinstated_at`` is null, its keys do not work and its lists are readable by
    nobody else."""

    org_id: int
    org: str
    reason: str
    suspended_at: datetime
    reinstated_at: datetime | None

    @classmethod
    def of(cls, org: Org, row: OrgSuspension) -> SuspensionOut:
        """From the models."""
        return cls(
            org_id=org.id,
            org=org.name,
            reason=row.reason,
            suspended_at=row.suspended_at,
            reinstated_at=row.reinstated_at,
        )
