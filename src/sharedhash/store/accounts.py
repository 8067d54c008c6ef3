"""People who sign in to the review pages, and their sessions: the queries of server/accounts.

Passwords are hashed by the service (argon2id) before they reach here; session and invitation tokens are stored
only as SHA-256 digests, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sharedhash.store.models import Org, Person, PersonSession


def digest(token: str) -> str:
    """The stored form of a session or invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def person_by_login(session: Session, login: str) -> Person | None:
    """The person signing in with this login (case-insensitive), or None."""
    return session.scalar(select(Person).where(func.lower(Person.login) == login.lower()))


def person_in_org(session: Session, org_id: int, person_id: int) -> Person | None:
    """A person of this org by id; another org's people are never found."""
    return session.scalar(select(Person).where(Person.id == person_id, Person.org_id == org_id))


def person_by_id(session: Session, person_id: int) -> Person | None:
    """A person by id (the session lookup)."""
    return session.get(Person, person_id)


def person_by_invite(session: Session, token: str) -> Person | None:
    """The person an invitation or reset token was issued to, or None."""
    return session.scalar(select(Person).where(Person.invite_hash == digest(token)))


def people_of_org(session: Session, org_id: int) -> list[Person]:
    """Every person of an org, in the order they were added."""
    return list(session.scalars(select(Person).where(Person.org_id == org_id).order_by(Person.id)))


def admins_of_org(session: Session, org_id: int) -> int:
    """How many enabled admins an org has."""
    stmt = select(func.count()).where(Person.org_id == org_id, Person.role == "admin", Person.disabled_at.is_(None))
    return int(session.scalar(stmt) or 0)


def add_person(session: Session, *, org_id: int, login: str, display_name: str, role: str) -> Person:
    """A new person (no password yet) in the caller's transaction."""
    person = Person(org_id=org_id, login=login, display_name=display_name, role=role, wellness={})
    session.add(person)
    session.flush()
    return person


def org_name(session: Session, org_id: int) -> str:
    """An org's name ("" if there is none)."""
    return session.scalar(select(Org.name).where(Org.id == org_id)) or ""


def start_session(session: Session, person_id: int, token: str, csrf_token: str, now: datetime) -> PersonSession:
    """Record a new sign-in (the cookie's token only as its digest)."""
    row = PersonSession(
        person_id=person_id, token_hash=digest(token), csrf_token=csrf_token, created_at=now, last_seen_at=now
    )
    session.add(row)
    session.flush()
    return row


def live_session(session: Session, token: str) -> tuple[PersonSession, Person] | None:
    """The open session of a cookie's token and its person, or None."""
    row = session.execute(
        select(PersonSession, Person)
        .join(Person, Person.id == PersonSession.person_id)
        .where(PersonSession.token_hash == digest(token), PersonSession.ended_at.is_(None))
    ).first()
    return None if row is None else (row[0], row[1])


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    """Mark a session as used now (the idle timeout counts from here)."""
    session.execute(update(PersonSession).where(PersonSession.id == session_id).values(last_seen_at=now))


def end_session(session: Session, session_id: int, now: datetime) -> None:
    """Sign one session out."""
    session.execute(
        update(PersonSession)
        .where(PersonSession.id == session_id, PersonSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_sessions_of(session: Session, person_id: int, now: datetime) -> int:
    """Sign a person out everywhere (disabled, reset); how many sessions were open."""
    result = session.execute(
        update(PersonSession)
        .where(PersonSession.person_id == person_id, PersonSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
