"""People of an org and their sign-ins: argon2id passwords, session cookies with a CSRF token, lock-out after
failed sign-ins, an optional TOTP second factor, invitations and resets by one-time links. Each change is one
transaction with its audit record; queries are in :mod:`sharedhash.store.accounts`.

The functions take the database and the settings (not the hub state), so the CLI calls them on the local database.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sharedhash import limits
from sharedhash.errors import NotFoundError
from sharedhash.server.accounts.errors import (
    AccountLockedError,
    CsrfFailedError,
    InvalidInviteError,
    InvalidLoginError,
    InvalidRoleError,
    InvalidTotpError,
    LastAdminError,
    LoginTakenError,
    SignInFailedError,
    SignInThrottledError,
    WeakPasswordError,
)
from sharedhash.server.memory.throttle import SignInThrottle
from sharedhash.settings import Settings
from sharedhash.store import accounts as store
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.models import Person, Role, Scope, utcnow
from sharedhash.store.secretbox import SecretBox
from sharedhash.store.visibility import Caller

_RANK = {Role.MODERATOR: 0, Role.LEAD: 1, Role.ADMIN: 2}
#: argon2id with the library's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, checked when the login is unknown, so the answer takes as long either way."""
    return _hasher.hash(secrets.token_urlsafe(16))


WELLNESS_DEFAULTS: dict[str, Any] = {"blur": 3, "greyscale": True, "reveal": "hold"}
REVEAL_MODES = ("hold", "hover")


@dataclass(frozen=True)
class Who:
    """The signed-in person behind a request (or the local operator's CLI, with ``session_id`` None)."""

    person_id: int
    org_id: int
    org_name: str
    login: str
    display_name: str
    role: Role
    session_id: int | None = None
    csrf_token: str = ""
    wellness: dict[str, Any] = field(default_factory=dict)

    def at_least(self, role: Role) -> bool:
        """Whether this person's role includes ``role`` (admin > lead > moderator)."""
        return _RANK[self.role] >= _RANK[role]

    @property
    def caller(self) -> Caller:
        """The person's org as a caller of the store (feedback, visibility); no API key."""
        return Caller(self.org_id, self.org_name, None, frozenset({Scope.CONTRIBUTE}))

    @property
    def setting(self) -> dict[str, Any]:
        """The person's wellness settings: their overrides over the defaults."""
        return {**WELLNESS_DEFAULTS, **self.wellness}


def record(session: Any, who: Who | None, action: str, *, target: str = "", **detail: Any) -> None:
    """An audit record of a person's action (their id and login in the detail; never a hash value)."""
    if who is not None:
        detail = {"person_id": who.person_id, "login": who.login, **detail}
    audit.record(session, who.caller if who else None, action, target=target, detail=detail)


def _who(person: Person, org_name: str, session_id: int | None = None, csrf: str = "") -> Who:
    return Who(
        person_id=person.id,
        org_id=person.org_id,
        org_name=org_name,
        login=person.login,
        display_name=person.display_name or person.login,
        role=Role(person.role),
        session_id=session_id,
        csrf_token=csrf,
        wellness=dict(person.wellness or {}),
    )


def check_login(login: str) -> str:
    """A valid login (stripped, NFC), or :class:`InvalidLoginError`."""
    login = unicodedata.normalize("NFC", login.strip())
    if not login or len(login) > limits.MAX_LOGIN_CHARS:
        raise InvalidLoginError(f"a login is 1 to {limits.MAX_LOGIN_CHARS} characters")
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in login):
        raise InvalidLoginError("a login has no spaces or control characters")
    return login


def check_password(password: str) -> str:
    """A password long enough (and not absurdly long), or :class:`WeakPasswordError`."""
    if len(password) < limits.MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password has at least {limits.MIN_PASSWORD_CHARS} characters")
    if len(password) > limits.MAX_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password has at most {limits.MAX_PASSWORD_CHARS} characters")
    return password


def check_role(role: str) -> Role:
    """A role, or :class:`InvalidRoleError`."""
    try:
        return Role(role)
    except ValueError:
        raise InvalidRoleError(f"unknown role {role!r}") from None


def _invite(person: Person, settings: Settings) -> str:
    token = "shi_" + secrets.token_urlsafe(32)
    person.invite_hash = store.digest(token)
    person.invite_expires_at = utcnow() + timedelta(hours=settings.review_invite_hours)
    return token


@dataclass(frozen=True)
class Added:
    """A person just added: their id, and the one-time invitation token when no password was given."""

    person_id: int
    login: str
    role: Role
    invite_token: str | None


def add_person(
    db: Database,
    settings: Settings,
    by: Who | None,
    *,
    org_id: int,
    login: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
) -> Added:
    """Add a person to an org: with a password (the local operator's first admin), or with an invitation token
    they use to choose one. ``by`` is the admin inviting (None: the local operator)."""
    login, checked_role = check_login(login), check_role(role)
    if len(display_name) > limits.MAX_DISPLAY_NAME_CHARS:
        raise InvalidLoginError(f"a display name is at most {limits.MAX_DISPLAY_NAME_CHARS} characters")
    password_hash = _hasher.hash(check_password(password)) if password is not None else None
    with db.writing() as session:
        if store.person_by_login(session, login) is not None:
            raise LoginTakenError(f"a person with the login {login!r} exists already")
        person = store.add_person(
            session, org_id=org_id, login=login, display_name=display_name.strip(), role=checked_role.value
        )
        token = None
        if password_hash is None:
            token = _invite(person, settings)
        else:
            person.password_hash = password_hash
        record(
            session,
            by,
            "person.add",
            target=f"person:{person.id}",
            role=checked_role.value,
            added=login,
            invited=token is not None,
        )
        if by is None:
            audit.record(session, None, "person.add.local", target=f"person:{person.id}", detail={"org_id": org_id})
        return Added(person.id, login, checked_role, token)


def list_people(db: Database, org_id: int) -> list[Person]:
    """Every person of an org."""
    with db.reading() as session:
        return store.people_of_org(session, org_id)


def _target(session: Any, by: Who | None, org_id: int, person_id: int) -> Person:
    person = store.person_in_org(session, org_id, person_id)
    if person is None:
        raise NotFoundError(f"no person with id {person_id} in your org")
    return person


def disable(db: Database, by: Who | None, org_id: int, person_id: int) -> None:
    """Disable a person: their sessions end and they can no longer sign in (the last admin cannot be)."""
    now = utcnow()
    with db.writing() as session:
        person = _target(session, by, org_id, person_id)
        if person.role == Role.ADMIN.value and person.disabled_at is None and store.admins_of_org(session, org_id) < 2:
            raise LastAdminError("this is the org's last enabled admin")
        person.disabled_at = person.disabled_at or now
        ended = store.end_sessions_of(session, person.id, now)
        record(session, by, "person.disable", target=f"person:{person.id}", sessions_ended=ended)


def enable(db: Database, by: Who | None, org_id: int, person_id: int) -> None:
    """Enable a disabled person again."""
    with db.writing() as session:
        person = _target(session, by, org_id, person_id)
        person.disabled_at = None
        person.failed_sign_ins, person.locked_until = 0, None
        record(session, by, "person.enable", target=f"person:{person.id}")


def reset(db: Database, settings: Settings, by: Who | None, org_id: int, person_id: int) -> str:
    """Reset a person's password and second factor: their sessions end; the returned one-time token lets them
    choose a new password."""
    now = utcnow()
    with db.writing() as session:
        person = _target(session, by, org_id, person_id)
        person.password_hash, person.totp_secret = None, None
        person.failed_sign_ins, person.locked_until = 0, None
        token = _invite(person, settings)
        ended = store.end_sessions_of(session, person.id, now)
        record(session, by, "person.reset", target=f"person:{person.id}", sessions_ended=ended)
        return token


def accept_invite(db: Database, token: str, password: str) -> str:
    """Set a password with an invitation or reset token (used once); the person's login."""
    password_hash = _hasher.hash(check_password(password))
    now = utcnow()
    with db.writing() as session:
        person = store.person_by_invite(session, token)
        if person is None or person.invite_expires_at is None or person.invite_expires_at < now:
            raise InvalidInviteError("this invitation is unknown, used or expired")
        if person.disabled_at is not None:
            raise InvalidInviteError("this invitation is unknown, used or expired")
        person.password_hash, person.invite_hash, person.invite_expires_at = password_hash, None, None
        audit.record(
            session,
            Caller(person.org_id, "", None, frozenset()),
            "person.accept_invite",
            target=f"person:{person.id}",
            detail={"person_id": person.id, "login": person.login},
        )
        return person.login


def invite_is_valid(db: Database, token: str) -> bool:
    """Whether an invitation token still works (the page asks before showing its form)."""
    with db.reading() as session:
        person = store.person_by_invite(session, token)
        return bool(person and person.invite_expires_at and person.invite_expires_at >= utcnow())


def sign_in(
    db: Database,
    settings: Settings,
    throttle: SignInThrottle,
    *,
    login: str,
    password: str,
    totp_code: str,
    address: str,
) -> tuple[str, Who]:
    """Check a login, password (and TOTP code if the person has one); a new session's cookie token and the person.

    Every failure looks the same to the client (:class:`SignInFailedError`) and is audited; five in a row lock the
    person out for ``review_lock_seconds``; an address with too many failures is throttled."""
    if throttle.blocked(address):
        raise SignInThrottledError("too many failed sign-ins from this address")
    now = utcnow()
    failure: str | None = None
    locked: AccountLockedError | None = None
    with db.writing() as session:
        person = store.person_by_login(session, login.strip()) if len(login) <= limits.MAX_LOGIN_CHARS else None
        if person is None or person.password_hash is None:
            _verify(_dummy_hash(), password)
            failure = "unknown login" if person is None else "no password set"
        elif person.locked_until is not None and person.locked_until > now:
            audit.record(
                session,
                Caller(person.org_id, "", None, frozenset()),
                "person.sign_in.locked",
                target=f"person:{person.id}",
                detail={"person_id": person.id},
            )
            locked = AccountLockedError("too many failed sign-ins: this account is locked for a while")
        elif not _verify(person.password_hash, password):
            failure = "wrong password"
        elif person.disabled_at is not None:
            failure = "disabled"
        elif person.totp_secret is not None and not _totp_ok(settings, person.totp_secret, totp_code):
            failure = "wrong second factor"
        if person is not None and failure is not None:
            person.failed_sign_ins += 1
            if person.failed_sign_ins >= limits.SIGN_IN_FAILURES_BEFORE_LOCK:
                person.locked_until = now + timedelta(seconds=settings.review_lock_seconds)
                person.failed_sign_ins = 0
        if failure is not None:
            audit.record(
                session,
                Caller(person.org_id, "", None, frozenset()) if person else None,
                "person.sign_in.failed",
                target=f"person:{person.id}" if person else "",
                detail={"reason": failure, "address": address},
            )
        elif person is not None and not (person.locked_until is not None and person.locked_until > now):
            person.failed_sign_ins, person.locked_until = 0, None
            token, csrf = "shs_" + secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            row = store.start_session(session, person.id, token, csrf, now)
            who = _who(person, store.org_name(session, person.org_id), row.id, csrf)
            record(session, who, "person.sign_in", target=f"person:{person.id}", address=address)
            return token, who
    throttle.failed(address)
    if locked is not None:
        raise locked
    raise SignInFailedError("the login, password or code is wrong")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_ok(settings: Settings, sealed: str, code: str) -> bool:
    secret = SecretBox.from_settings(settings).open(sealed)
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


def session_of(db: Database, settings: Settings, token: str) -> Who | None:
    """The person signed in with this cookie token, or None (unknown, signed out, idle or too old, disabled)."""
    now = utcnow()
    with db.reading() as session:
        found = store.live_session(session, token)
        if found is None:
            return None
        row, person = found
        idle = now - row.last_seen_at > timedelta(seconds=settings.review_session_idle_seconds)
        old = now - row.created_at > timedelta(seconds=settings.review_session_max_seconds)
        if idle or old or person.disabled_at is not None:
            return None
        who = _who(person, store.org_name(session, person.org_id), row.id, row.csrf_token)
        stale = now - row.last_seen_at > timedelta(seconds=30)
    if stale:
        with db.writing() as session:
            store.touch_session(session, row.id, now)
    return who


def check_csrf(who: Who, token: str | None) -> None:
    """Refuse a form or request whose CSRF token is not this session's."""
    if not token or not who.csrf_token or not hmac.compare_digest(token.encode(), who.csrf_token.encode()):
        raise CsrfFailedError("the form's CSRF token is missing or not this session's")


def refuse_csrf(db: Database, who: Who, path: str) -> None:
    """Record a refused (forged or stale) form."""
    with db.writing() as session:
        record(session, who, "ui.csrf_refused", target=path[:200])


def sign_out(db: Database, who: Who) -> None:
    """End this session."""
    if who.session_id is None:
        return
    with db.writing() as session:
        store.end_session(session, who.session_id, utcnow())
        record(session, who, "person.sign_out", target=f"person:{who.person_id}")


def new_totp_secret() -> str:
    """A fresh TOTP secret to show the person once (base32), with :func:`totp_uri`."""
    return pyotp.random_base32()


def totp_uri(who: Who, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(name=who.login, issuer_name=f"sharedhash {who.org_name}")


def enable_totp(db: Database, settings: Settings, who: Who, secret: str, code: str) -> None:
    """Turn on the second factor once the person shows a code of the new secret."""
    if len(secret) > 64 or not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        raise InvalidTotpError("the code does not match the new secret")
    sealed = SecretBox.from_settings(settings).seal(secret)
    with db.writing() as session:
        person = _target(session, who, who.org_id, who.person_id)
        person.totp_secret = sealed
        record(session, who, "person.totp_enabled", target=f"person:{who.person_id}")


def set_wellness(db: Database, who: Who, *, blur: int, greyscale: bool, reveal: str) -> None:
    """Save the person's wellness overrides (blur level 0-4, greyscale, reveal by holding or hovering)."""
    blur = max(0, min(limits.MAX_WELLNESS_BLUR, blur))
    if reveal not in REVEAL_MODES:
        reveal = "hold"
    with db.writing() as session:
        person = _target(session, who, who.org_id, who.person_id)
        person.wellness = {"blur": blur, "greyscale": greyscale, "reveal": reveal}
        record(session, who, "person.wellness", target=f"person:{who.person_id}", **person.wellness)


def expired_invite(person: Person, now: datetime) -> bool:
    """Whether a person's open invitation is past its time."""
    return person.invite_expires_at is not None and person.invite_expires_at < now


def require_role(db: Database, who: Who, role: Role, page: str) -> None:
    """Pages beyond the person's role answer 404 like anything absent, and the attempt is recorded."""
    if who.at_least(role):
        return
    with db.writing() as session:
        record(session, who, "ui.refused", target=page[:200], needs=role.value)
    raise NotFoundError("no such page")
