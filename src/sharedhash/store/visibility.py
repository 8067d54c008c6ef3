"""The one place that decides what an org may see or change: every read of org-owned data starts here.

Each function returns a SELECT already restricted to what the caller may access, so a repository cannot forget
the check; anything outside it looks absent (404), never forbidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Exists, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import PermissionDeniedError
from sharedhash.store.models import Access, Entry, HashList, ListShare, OrgSuspension, Scope, Visibility

_SCOPE_RANK = {Scope.READ: 0, Scope.CONTRIBUTE: 1, Scope.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated org behind a request, and the key's scopes."""

    org_id: int
    org_name: str
    key_id: int | None
    scopes: frozenset[Scope]
    is_operator: bool = False

    def has(self, scope: Scope) -> bool:
        """Whether the key's scopes include ``scope`` (admin implies contribute implies read)."""
        return any(_SCOPE_RANK[s] >= _SCOPE_RANK[scope] for s in self.scopes)

    def require(self, scope: Scope) -> None:
        """Raise :class:`PermissionDeniedError` unless the key has ``scope``."""
        if not self.has(scope):
            raise PermissionDeniedError(f"this action needs an API key with the {scope.value!r} scope")


def suspended_owner() -> Exists:
    """True for a list whose owner org is suspended (its lists are readable by nobody else meanwhile)."""
    return exists().where(OrgSuspension.org_id == HashList.owner_org_id, OrgSuspension.reinstated_at.is_(None))


def readable_lists(caller: Caller) -> Select[HashList]:
    """Hash lists the caller may read: its own, those shared with it, and those open to all members (another
    org's, only while that org is not suspended)."""
    shared = exists().where(ListShare.list_id == HashList.id, ListShare.org_id == caller.org_id)
    return select(HashList).where(
        or_(
            HashList.owner_org_id == caller.org_id,
            and_(
                ~suspended_owner(),
                or_(
                    HashList.visibility == Visibility.MEMBERS.value,
                    (HashList.visibility == Visibility.SHARED.value) & shared,
                ),
            ),
        )
    )


def contributable_lists(caller: Caller) -> Select[HashList]:
    """Hash lists the caller may add entries to: its own and those shared with it for contributing."""
    contribute = exists().where(
        ListShare.list_id == HashList.id,
        ListShare.org_id == caller.org_id,
        ListShare.access == Access.CONTRIBUTE.value,
    )
    return select(HashList).where(
        HashList.deleted_at.is_(None),
        or_(
            HashList.owner_org_id == caller.org_id,
            (HashList.visibility == Visibility.SHARED.value) & contribute,
        ),
    )


def owned_lists(caller: Caller) -> Select[HashList]:
    """Hash lists the caller owns (may change settings and shares of, and remove any entry from); not deleted."""
    return select(HashList).where(HashList.owner_org_id == caller.org_id, HashList.deleted_at.is_(None))


def readable_entries(caller: Caller) -> Select[Entry]:
    """Active entries in lists the caller may read."""
    lists = readable_lists(caller).with_only_columns(HashList.id)
    return select(Entry).where(Entry.list_id.in_(lists), Entry.deleted_at.is_(None))


@dataclass(frozen=True, slots=True)
class ListPolicy:
    """Who may read a hash list, and what a lookup needs of it (the server keeps every list's in memory)."""

    list_id: int
    owner_org_id: int
    visibility: str
    name: str
    pdq_threshold: int
    shared_with: frozenset[int]
    video_listed_percent: int = limits.VIDEO_LISTED_PERCENT_DEFAULT
    video_query_percent: int = limits.VIDEO_QUERY_PERCENT_DEFAULT
    owner_suspended: bool = False

    def readable_by(self, org_id: int) -> bool:
        """The rule of :func:`readable_lists`, for one list in memory: owner, or (while the owner is not
        suspended) members-wide or shared with the org."""
        if self.owner_org_id == org_id:
            return True
        if self.owner_suspended:
            return False
        return self.visibility == Visibility.MEMBERS.value or (
            self.visibility == Visibility.SHARED.value and org_id in self.shared_with
        )


def list_policies(session: Session) -> dict[int, ListPolicy]:
    """Every hash list's read policy (owner, visibility, shares) with its name and PDQ threshold."""
    shares: dict[int, set[int]] = defaultdict(set)
    for list_id, org_id in session.execute(select(ListShare.list_id, ListShare.org_id)):
        shares[list_id].add(org_id)
    suspended = set(session.scalars(select(OrgSuspension.org_id).where(OrgSuspension.reinstated_at.is_(None))))
    stmt = select(
        HashList.id,
        HashList.owner_org_id,
        HashList.visibility,
        HashList.name,
        HashList.pdq_threshold,
        HashList.video_listed_percent,
        HashList.video_query_percent,
    )
    return {
        r[0]: ListPolicy(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            frozenset(shares.get(r[0], ())),
            video_listed_percent=r[5],
            video_query_percent=r[6],
            owner_suspended=r[1] in suspended,
        )
        for r in session.execute(stmt)
    }
