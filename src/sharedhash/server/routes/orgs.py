"""``/v1/orgs``: the caller's own org, the names of member orgs, and (hub operator only) new orgs."""

from __future__ import annotations

from fastapi import APIRouter, status

from sharedhash.errors import PermissionDeniedError
from sharedhash.server.deps import Admin, Reader, State
from sharedhash.server.schemas import IssuedKeyOut, KeyOut, OrgCreate, OrgOut
from sharedhash.store import audit
from sharedhash.store.models import Scope
from sharedhash.store.orgs import create_key, create_org, get_org, list_orgs

router = APIRouter(prefix="/v1/orgs", tags=["orgs"])


@router.get("/me", response_model=OrgOut, summary="The caller's org")
def me(state: State, caller: Reader) -> OrgOut:
    """The org the API key belongs to."""
    with state.db.reading() as session:
        return OrgOut.of(get_org(session, caller.org_id))


@router.get("", response_model=list[OrgOut], summary="Every member org (to share lists with)")
def all_orgs(state: State, caller: Reader) -> list[OrgOut]:
    """Names of every org on the hub."""
    with state.db.reading() as session:
        return [OrgOut.of(o) for o in list_orgs(session)]


class OrgCreated(OrgOut):
    """A new org and its first admin key (shown once)."""

    admin_key: IssuedKeyOut


@router.post("", response_model=OrgCreated, status_code=status.HTTP_201_CREATED, summary="Create an org")
def new_org(body: OrgCreate, state: State, caller: Admin) -> OrgCreated:
    """Create an org with a first admin key; only the hub operator's admin keys may."""
    if not caller.is_operator:
        raise PermissionDeniedError("only the hub operator may create orgs")
    with state.db.writing() as session:
        org = create_org(session, body.name)
        issued = create_key(session, org.id, frozenset({Scope.ADMIN}), name="first admin key")
        audit.record(session, caller, "org.create", target=org.name)
        key = IssuedKeyOut(**KeyOut.of(issued.key).model_dump(), key=issued.token)
        return OrgCreated(**OrgOut.of(org).model_dump(), admin_key=key)
