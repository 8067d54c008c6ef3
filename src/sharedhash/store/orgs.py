"""Orgs and their API keys: creation, authentication, revocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from sharedhash.hub_errors import InvalidTextError, KeyExpiredError, KeyRevokedError, NameTakenError, OrgSuspendedError
from sharedhash.store.models import ApiKey, Org, OrgSuspension, Scope, utcnow
from sharedhash.store.security import new_secret, secret_matches, split_token
from sharedhash.store.visibility import Caller

#: Writing last_used_at on every request would turn every lookup into a write; a minute's resolution is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: ``token`` is the only time the secret is visible."""

    key: ApiKey
    token: str


def parse_scopes(scopes: list[str] | tuple[str, ...] | str) -> frozenset[Scope]:
    """Scopes from names (a list or a comma-separated string); unknown names raise InvalidInputError."""
    names = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    out: set[Scope] = set()
    for name in names:
        try:
            out.add(Scope(name.strip()))
        except ValueError:
            raise InvalidInputError(
                f"unknown scope {name.strip()!r}", hint="Scopes are read, contribute and admin."
            ) from None
    if not out:
        raise InvalidInputError("a key needs at least one scope", hint="Scopes are read, contribute and admin.")
    return frozenset(out)


def create_org(session: Session, name: str, *, is_operator: bool = False) -> Org:
    """Create an org; the name must be unused."""
    name = name.strip()
    if not name or len(name) > limits.MAX_ORG_NAME_CHARS:
        raise InvalidInputError(f"an org name is 1 to {limits.MAX_ORG_NAME_CHARS} characters")
    problem = limits.text_problem(name)
    if problem is not None:
        raise InvalidTextError(f"an org name: {problem}")
    if session.scalar(select(Org.id).where(Org.name == name)) is not None:
        raise NameTakenError(f"an org named {name!r} already exists")
    org = Org(name=name, is_operator=is_operator)
    session.add(org)
    session.flush()
    return org


def get_org_by_name(session: Session, name: str) -> Org:
    """The org called ``name``."""
    org = session.scalar(select(Org).where(Org.name == name))
    if org is None:
        raise NotFoundError(f"no org named {name!r}")
    return org


def find_org(session: Session, name: str) -> Org | None:
    """The org called ``name``, or None."""
    return session.scalar(select(Org).where(Org.name == name))


def org_by_id(session: Session, org_id: int) -> Org | None:
    """The org with id ``org_id``, or None."""
    return session.get(Org, org_id)


def org_count(session: Session) -> int:
    """How many orgs the hub has."""
    return int(session.scalar(select(func.count()).select_from(Org)) or 0)


def get_org(session: Session, org_id: int) -> Org:
    """The org with id ``org_id``."""
    org = session.get(Org, org_id)
    if org is None:
        raise NotFoundError(f"no org with id {org_id}")
    return org


def create_org_with_key(
    session: Session, name: str, *, is_operator: bool | None = None, key_name: str = "first admin key"
) -> tuple[Org, IssuedKey]:
    """A new org with its first admin key. ``is_operator=None``: the first org of a database is its operator."""
    operator = not org_count(session) if is_operator is None else is_operator
    org = create_org(session, name, is_operator=operator)
    return org, create_key(session, org.id, frozenset({Scope.ADMIN}), name=key_name)


def list_orgs(session: Session) -> list[Org]:
    """Every org on the hub, by name: members need the names to share lists with each other."""
    return list(session.scalars(select(Org).order_by(Org.name)))


def create_key(
    session: Session,
    org_id: int,
    scopes: frozenset[Scope],
    *,
    name: str = "",
    expires_at: datetime | None = None,
) -> IssuedKey:
    """A new key for ``org_id``; the returned token is never stored or shown again."""
    if len(name) > limits.MAX_KEY_NAME_CHARS:
        raise InvalidInputError(f"a key name is at most {limits.MAX_KEY_NAME_CHARS} characters")
    problem = limits.text_problem(name)
    if problem is not None:
        raise InvalidTextError(f"a key name: {problem}")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInputError("the expiry time is in the past")
    secret = new_secret()
    key = ApiKey(
        org_id=org_id,
        name=name,
        prefix=secret.prefix,
        salt=secret.salt,
        secret_hash=secret.secret_hash,
        scopes=",".join(sorted(s.value for s in scopes)),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, token=secret.token)


def list_keys(session: Session, caller: Caller) -> list[ApiKey]:
    """The caller's org's keys (never their secrets)."""
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == caller.org_id).order_by(ApiKey.id)))


def revoke_key(session: Session, caller: Caller, key_id: int) -> ApiKey:
    """Revoke one of the caller's org's keys; revoking twice is harmless."""
    key = session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == caller.org_id))
    if key is None:
        raise NotFoundError(f"no key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()
    return key


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authenticating a key needs from its row (the server keeps these in memory; never the secret)."""

    prefix: str
    salt: str
    secret_hash: str
    caller: Caller
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    suspended: bool = False


def key_record(session: Session, prefix: str) -> KeyRecord | None:
    """The key with this public prefix, with its org (and whether the org is suspended), or None."""
    row = session.execute(select(ApiKey, Org).join(Org, Org.id == ApiKey.org_id).where(ApiKey.prefix == prefix)).first()
    if row is None:
        return None
    key, org = row
    suspended = active_suspension(session, org.id) is not None
    caller = Caller(
        org_id=org.id,
        org_name=org.name,
        key_id=key.id,
        scopes=parse_scopes(key.scopes),
        is_operator=org.is_operator,
    )
    return KeyRecord(
        prefix=key.prefix,
        salt=key.salt,
        secret_hash=key.secret_hash,
        caller=caller,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        suspended=suspended,
    )


def check_key(record: KeyRecord | None, secret: str) -> tuple[Caller, bool]:
    """The caller behind a presented secret, and whether the key's last-used time is stale enough to record.

    A wrong secret, a revoked key and an expired key raise :class:`AuthenticationError` (or a subclass).
    """
    if record is None or not secret_matches(record.salt, secret, record.secret_hash):
        raise AuthenticationError("the API key is not valid")
    now = utcnow()
    if record.revoked_at is not None:
        raise KeyRevokedError(f"the API key {record.prefix} was revoked")
    if record.suspended:
        raise OrgSuspendedError(f"the org {record.caller.org_name!r} is suspended on this hub")
    if record.expires_at is not None and record.expires_at <= now:
        raise KeyExpiredError(f"the API key {record.prefix} expired at {record.expires_at.isoformat()}")
    stale = record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION
    return record.caller, stale


def authenticate(session: Session, token: str) -> tuple[Caller, bool]:
    """The caller a token stands for, and whether its last-used time is stale enough to record.

    Unknown, malformed, revoked and expired keys raise :class:`AuthenticationError` (or a subclass).
    """
    parts = split_token(token)
    if parts is None:
        raise AuthenticationError("the API key is malformed")
    prefix, secret = parts
    return check_key(key_record(session, prefix), secret)


def touch_key(session: Session, key_id: int) -> datetime:
    """Record that a key was just used; return the time recorded."""
    now = utcnow()
    # Marked so the server's cache watcher knows this UPDATE changes no key's validity.
    session.execute(
        update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now).execution_options(sharedhash_touch=True)
    )
    return now


def touch_keys(session: Session, used: dict[int, datetime]) -> int:
    """Record the last-used times of many keys (``key id -> time``) in one statement; return how many."""
    if not used:
        return 0
    session.execute(
        update(ApiKey).execution_options(sharedhash_touch=True),
        [{"id": key_id, "last_used_at": when} for key_id, when in used.items()],
    )
    return len(used)


def revoked_key_count(session: Session) -> tuple[int, int, int]:
    """What changes whenever a key stops or starts working for a reason other than its expiry: how many keys were
    ever revoked (revocation is final), how many suspensions were ever made and how many ended (both only add up).
    A change in any means the cached keys are stale."""
    revoked = session.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_not(None)))
    made, ended = session.execute(select(func.count(OrgSuspension.id), func.count(OrgSuspension.reinstated_at))).one()
    return int(revoked or 0), int(made or 0), int(ended or 0)


def active_suspension(session: Session, org_id: int) -> OrgSuspension | None:
    """The org's current suspension, or None."""
    return session.scalar(
        select(OrgSuspension).where(OrgSuspension.org_id == org_id, OrgSuspension.reinstated_at.is_(None))
    )


def suspend_org(session: Session, name: str, reason: str = "") -> tuple[Org, OrgSuspension]:
    """Suspend the org called ``name`` (its keys stop working, the lists it owns are readable by nobody else);
    suspending a suspended org is an error, not a second suspension."""
    org = get_org_by_name(session, name)
    if len(reason) > limits.MAX_SUSPENSION_REASON_CHARS:
        raise InvalidInputError(f"a suspension reason is at most {limits.MAX_SUSPENSION_REASON_CHARS} characters")
    problem = limits.text_problem(reason)
    if problem is not None:
        raise InvalidTextError(f"a suspension reason: {problem}")
    if active_suspension(session, org.id) is not None:
        raise ConflictError(f"the org {name!r} is already suspended", hint="`sharedhash org reinstate NAME` ends it.")
    row = OrgSuspension(org_id=org.id, reason=reason, suspended_at=utcnow())
    session.add(row)
    session.flush()
    return org, row


def reinstate_org(session: Session, name: str) -> tuple[Org, OrgSuspension]:
    """End the suspension of the org called ``name``: its keys work again (those not revoked or expired)."""
    org = get_org_by_name(session, name)
    row = active_suspension(session, org.id)
    if row is None:
        raise ConflictError(f"the org {name!r} is not suspended", hint="`sharedhash org list` shows who is.")
    row.reinstated_at = utcnow()
    session.flush()
    return org, row


def suspended_org_ids(session: Session) -> set[int]:
    """Ids of the orgs suspended now."""
    return set(session.scalars(select(OrgSuspension.org_id).where(OrgSuspension.reinstated_at.is_(None))))


def caller_for_org(org: Org, scopes: frozenset[Scope] = frozenset({Scope.ADMIN})) -> Caller:
    """A caller acting as ``org`` without a key: the local command line, or sync writing mirrored lists."""
    return Caller(org_id=org.id, org_name=org.name, key_id=None, scopes=scopes, is_operator=org.is_operator)
