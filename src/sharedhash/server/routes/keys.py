"""``/v1/keys``: an org admin lists, creates and revokes the org's API keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from sharedhash.server.deps import Admin, State
from sharedhash.server.schemas import IssuedKeyOut, KeyCreate, KeyOut
from sharedhash.store import audit
from sharedhash.store.orgs import create_key, list_keys, revoke_key

router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.get("", response_model=list[KeyOut], summary="The org's keys")
def keys(state: State, caller: Admin) -> list[KeyOut]:
    """Every key of the caller's org, revoked ones included; never a secret."""
    with state.db.reading() as session:
        return [KeyOut.of(k) for k in list_keys(session, caller)]


@router.post("", response_model=IssuedKeyOut, status_code=status.HTTP_201_CREATED, summary="Create a key")
def new_key(body: KeyCreate, state: State, caller: Admin) -> IssuedKeyOut:
    """A new key; the response holds its secret, which is shown this once."""
    with state.db.writing() as session:
        issued = create_key(session, caller.org_id, frozenset(body.scopes), name=body.name, expires_at=body.expires_at)
        audit.record(session, caller, "key.create", target=issued.key.prefix, detail={"scopes": issued.key.scopes})
        return IssuedKeyOut(**KeyOut.of(issued.key).model_dump(), key=issued.token)


@router.delete("/{key_id}", response_model=KeyOut, summary="Revoke a key")
def revoke(key_id: int, state: State, caller: Admin) -> KeyOut:
    """Revoke a key of the caller's org; it stops working at once."""
    with state.db.writing() as session:
        key = revoke_key(session, caller, key_id)
        audit.record(session, caller, "key.revoke", target=key.prefix)
        return KeyOut.of(key)
