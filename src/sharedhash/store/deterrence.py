"""Deterrence storage: per-org settings, the term rules an org may read, daily counters, click-through links.

Nothing here takes or keeps a query or an address: counters are numbers per (org, rule id, UTC day), and a
link token is random, tied to a rule id and a help resource of the org, never to a request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sharedhash.hashing.types.term import TermHashType
from sharedhash.store.models import (
    DeterrenceCounter,
    DeterrenceLink,
    DeterrenceSecret,
    DeterrenceSettings,
    EntryHash,
    HashList,
    ListShare,
    Org,
    Scope,
    utcnow,
)
from sharedhash.store.orgs import suspended_org_ids
from sharedhash.store.visibility import Caller, readable_lists

#: The hash type whose values are term-list rules.
TERM = TermHashType.name
#: Counter key: (org id, rule id or "" for the day's totals, UTC day).
CounterKey = tuple[int, str, date]


@dataclass(frozen=True, slots=True)
class CounterDelta:
    """Counts to add to one counter row."""

    checks: int = 0
    responses: int = 0
    clicks: int = 0


def org_caller(org_id: int, name: str = "") -> Caller:
    """A read-only caller for an org: what its deterrence checks may see (public checks have no key)."""
    return Caller(org_id=org_id, org_name=name, key_id=None, scopes=frozenset({Scope.READ}))


def find_org(session: Session, ref: str) -> Org | None:
    """The org named ``ref``, or with the numeric id ``ref``."""
    found = session.scalar(select(Org).where(Org.name == ref))
    if found is None and ref.isdigit() and len(ref) < 19:
        found = session.get(Org, int(ref))
    return found


def org_ids(session: Session) -> list[int]:
    """Every org's id."""
    return list(session.scalars(select(Org.id).order_by(Org.id)))


def get_settings(session: Session, org_id: int) -> DeterrenceSettings | None:
    """The org's stored settings, or ``None`` when it never changed the defaults."""
    return session.get(DeterrenceSettings, org_id)


def save_settings(
    session: Session,
    org_id: int,
    *,
    public: bool | None = None,
    public_per_minute: int | None = None,
    catalog: Mapping[str, object] | None = None,
    reset_catalog: bool = False,
) -> DeterrenceSettings:
    """Change the given settings (validated by the caller) and return the stored row."""
    row = session.get(DeterrenceSettings, org_id, with_for_update=True)
    if row is None:
        row = DeterrenceSettings(org_id=org_id, public=False, public_per_minute=600, catalog=None)
        session.add(row)
    if public is not None:
        row.public = public
    if public_per_minute is not None:
        row.public_per_minute = public_per_minute
    if reset_catalog:
        row.catalog = None
    elif catalog is not None:
        row.catalog = dict(catalog)
    row.updated_at = utcnow()
    session.flush()
    return row


def settings_versions(session: Session) -> dict[int, datetime]:
    """``{org id: updated_at}`` of every stored settings row (cheap: one row per org)."""
    return {r[0]: r[1] for r in session.execute(select(DeterrenceSettings.org_id, DeterrenceSettings.updated_at))}


def access_signature(session: Session) -> tuple[object, ...]:
    """A value that changes whenever any list's feed seq, visibility or shares change, or an org is suspended or
    reinstated (a suspended owner's lists are readable by nobody else)."""
    lists = session.execute(select(HashList.id, HashList.last_seq, HashList.visibility).order_by(HashList.id)).all()
    shares = session.execute(select(ListShare.list_id, ListShare.org_id).order_by(ListShare.list_id, ListShare.org_id))
    return (
        tuple(tuple(r) for r in lists),
        tuple(tuple(r) for r in shares.all()),
        tuple(sorted(suspended_org_ids(session))),
    )


def readable_list_seqs(session: Session, caller: Caller) -> dict[int, int]:
    """``{list id: last seq}`` of every list the org may read (through the one visibility function)."""
    stmt = readable_lists(caller).with_only_columns(HashList.id, HashList.last_seq)
    return {r[0]: int(r[1]) for r in session.execute(stmt)}


def term_values(session: Session, list_ids: Iterable[int]) -> dict[int, list[str]]:
    """The active ``term`` hash values (canonical rules) of each list, by list id."""
    ids = list(list_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 1000):
        stmt = select(EntryHash.list_id, EntryHash.value).where(
            EntryHash.list_id.in_(ids[start : start + 1000]),
            EntryHash.hash_type == TERM,
            EntryHash.deleted_at.is_(None),
        )
        for list_id, value in session.execute(stmt):
            out[list_id].append(value)
    return out


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def add_counts(session: Session, deltas: Mapping[CounterKey, CounterDelta]) -> None:
    """Add counts with one upsert per row: concurrent writers (threads, processes) never lose an increment."""
    insert = _insert(session)
    for (org_id, rule_id, day), d in sorted(deltas.items()):
        stmt = insert(DeterrenceCounter).values(
            org_id=org_id, rule_id=rule_id, day=day, checks=d.checks, responses=d.responses, clicks=d.clicks
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["org_id", "rule_id", "day"],
            set_={
                "checks": DeterrenceCounter.checks + stmt.excluded.checks,
                "responses": DeterrenceCounter.responses + stmt.excluded.responses,
                "clicks": DeterrenceCounter.clicks + stmt.excluded.clicks,
            },
        )
        session.execute(stmt)


def counters(session: Session, org_id: int, since: date) -> list[DeterrenceCounter]:
    """The org's counter rows from ``since`` on, by day then rule id."""
    stmt = (
        select(DeterrenceCounter)
        .where(DeterrenceCounter.org_id == org_id, DeterrenceCounter.day >= since)
        .order_by(DeterrenceCounter.day, DeterrenceCounter.rule_id)
    )
    return list(session.scalars(stmt))


def url_hash(url: str) -> str:
    """The key a help resource's URL is stored under."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def link_id(session: Session, org_id: int, rule_id: str, url: str) -> int:
    """The id of the (org, rule, resource URL) link row, made once and reused afterwards."""
    key = url_hash(url)
    where = (DeterrenceLink.org_id == org_id, DeterrenceLink.rule_id == rule_id, DeterrenceLink.url_hash == key)
    found = session.scalar(select(DeterrenceLink.id).where(*where))
    if found is not None:
        return found
    insert = _insert(session)
    stmt = insert(DeterrenceLink).values(org_id=org_id, rule_id=rule_id, url_hash=key, url=url, created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["org_id", "rule_id", "url_hash"]))
    made = session.scalar(select(DeterrenceLink.id).where(*where))
    assert made is not None
    return made


def get_link(session: Session, link: int) -> DeterrenceLink | None:
    """A link row by id, or ``None``."""
    return session.get(DeterrenceLink, link)


def link_secret(session: Session) -> bytes:
    """The hub's click-token key: made (random) on first use, the same for every process afterwards."""
    insert = _insert(session)
    stmt = insert(DeterrenceSecret).values(id=1, secret=secrets.token_hex(32), created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
    value = session.scalar(select(DeterrenceSecret.secret).where(DeterrenceSecret.id == 1))
    assert value is not None
    return bytes.fromhex(value)
