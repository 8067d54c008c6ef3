"""The one place that decides what an org may see or change: every read of org-owned data starts here.

Each function returns a SELECT already restricted to what the caller may access, so a repository cannot forget
the check; anything outside it looks absent (404), never forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, or_, select

from sharedhash.errors import PermissionDeniedError
from sharedhash.store.models import Access, Entry, HashList, ListShare, Scope, Visibility

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


def readable_lists(caller: Caller) -> Select[HashList]:
    """Hash lists the caller may read: its own, those shared with it, and those open to all members."""
    shared = exists().where(ListShare.list_id == HashList.id, ListShare.org_id == caller.org_id)
    return select(HashList).where(
        or_(
            HashList.owner_org_id == caller.org_id,
            HashList.visibility == Visibility.MEMBERS.value,
            (HashList.visibility == Visibility.SHARED.value) & shared,
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
        or_(
            HashList.owner_org_id == caller.org_id,
            (HashList.visibility == Visibility.SHARED.value) & contribute,
        )
    )


def owned_lists(caller: Caller) -> Select[HashList]:
    """Hash lists the caller owns (may change settings and shares of, and remove any entry from)."""
    return select(HashList).where(HashList.owner_org_id == caller.org_id)


def readable_entries(caller: Caller) -> Select[Entry]:
    """Active entries in lists the caller may read."""
    lists = readable_lists(caller).with_only_columns(HashList.id)
    return select(Entry).where(Entry.list_id.in_(lists), Entry.deleted_at.is_(None))
