"""People and sign-ins: argon2id passwords, lock-out and throttling, TOTP, invitations, resets, disabling."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from sharedhash.errors import NotFoundError
from sharedhash.server.accounts import service
from sharedhash.server.accounts.errors import (
    AccountLockedError,
    CsrfFailedError,
    InvalidInviteError,
    InvalidLoginError,
    InvalidRoleError,
    LastAdminError,
    LoginTakenError,
    SignInFailedError,
    SignInThrottledError,
    WeakPasswordError,
)
from sharedhash.server.memory.throttle import SignInThrottle
from sharedhash.server.state import HubState
from sharedhash.store.db import Database
from sharedhash.store.models import AuditEvent, Person
from tests.support.review import PASSWORD, person, review_state
from tests.support.store import make_org


def _sign_in(
    state: HubState, login: str, password: str = PASSWORD, code: str = "", throttle: SignInThrottle | None = None
) -> tuple[str, service.Who]:
    return service.sign_in(
        state.db,
        state.settings,
        throttle or SignInThrottle(),
        login=login,
        password=password,
        totp_code=code,
        address="192.0.2.7",
    )


def test_passwords_are_argon2id_and_a_session_finds_its_person(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    who = person(state, org, "Ann@Quuxvid.test", role="lead")
    with db.reading() as s:
        stored = s.scalars(select(Person)).one()
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    token, again = _sign_in(state, "ann@quuxvid.test")  # logins are case-insensitive
    assert again.person_id == who.person_id
    found = service.session_of(db, state.settings, token)
    assert found is not None
    assert (found.org_name, found.role.value, found.csrf_token) == ("quuxvid", "lead", again.csrf_token)
    service.sign_out(db, found)
    assert service.session_of(db, state.settings, token) is None
    assert service.session_of(db, state.settings, "shs_zorblax") is None


def test_bad_input_is_refused_clearly(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    add = service.add_person
    with pytest.raises(WeakPasswordError):
        add(db, state.settings, None, org_id=org.org_id, login="ann", role="moderator", password="short")
    with pytest.raises(InvalidLoginError):
        add(db, state.settings, None, org_id=org.org_id, login="ann smith", role="moderator")
    with pytest.raises(InvalidLoginError):
        add(db, state.settings, None, org_id=org.org_id, login="", role="moderator")
    with pytest.raises(InvalidRoleError):
        add(db, state.settings, None, org_id=org.org_id, login="ann", role="superuser")
    add(db, state.settings, None, org_id=org.org_id, login="ann", role="moderator")
    with pytest.raises(LoginTakenError):
        add(db, state.settings, None, org_id=org.org_id, login="ANN", role="lead")
    with db.reading() as s:
        assert [p.login for p in s.scalars(select(Person))] == ["ann"]


def test_five_failures_lock_the_person_out_even_with_the_right_password(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    person(state, org, "ann")
    for _ in range(5):
        with pytest.raises(SignInFailedError):
            _sign_in(state, "ann", "not the password at all")
    with pytest.raises(AccountLockedError):
        _sign_in(state, "ann")
    with db.reading() as s:
        failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.sign_in.failed")).all()
        locked = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.sign_in.locked")).all()
    assert [e.detail["reason"] for e in failed] == ["wrong password"] * 5
    assert len(locked) == 1
    assert all("not the password" not in str(e.detail) for e in failed)


def test_an_address_with_many_failures_is_throttled(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    throttle = SignInThrottle(limit=3, window=60)
    for n in range(3):
        with pytest.raises(SignInFailedError):
            _sign_in(state, f"nobody-{n}", throttle=throttle)
    with pytest.raises(SignInThrottledError):
        _sign_in(state, "nobody-9", throttle=throttle)


def test_totp_second_factor(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    who = person(state, org, "ann")
    secret = service.new_totp_secret()
    assert service.totp_uri(who, secret).startswith("otpauth://totp/")
    service.enable_totp(db, state.settings, who, secret, pyotp.TOTP(secret).now())
    with db.reading() as s:
        sealed = s.scalars(select(Person)).one().totp_secret
    assert sealed is not None
    assert secret not in sealed
    with pytest.raises(SignInFailedError):
        _sign_in(state, "ann")
    with pytest.raises(SignInFailedError):
        _sign_in(state, "ann", code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    _, again = _sign_in(state, "ann", code=pyotp.TOTP(secret).now())
    assert again.person_id == who.person_id


def test_invitations_resets_and_disabling(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org, other = make_org(db, "quuxvid"), make_org(db, "zorbnet")
    admin = person(state, org, "root", role="admin")
    added = service.add_person(db, state.settings, admin, org_id=org.org_id, login="bob", role="moderator")
    assert added.invite_token is not None
    with pytest.raises(SignInFailedError):
        _sign_in(state, "bob", "")
    assert service.invite_is_valid(db, added.invite_token)
    assert service.accept_invite(db, added.invite_token, PASSWORD) == "bob"
    with pytest.raises(InvalidInviteError):
        service.accept_invite(db, added.invite_token, PASSWORD)  # once only
    token, bob = _sign_in(state, "bob")
    # Another org's admin cannot touch bob.
    eve = person(state, other, "eve", role="admin")
    with pytest.raises(NotFoundError):
        service.disable(db, eve, eve.org_id, bob.person_id)
    reset = service.reset(db, state.settings, admin, org.org_id, bob.person_id)
    assert service.session_of(db, state.settings, token) is None
    with pytest.raises(SignInFailedError):
        _sign_in(state, "bob")
    service.accept_invite(db, reset, "a brand new zorblax passphrase")
    token, _ = _sign_in(state, "bob", "a brand new zorblax passphrase")
    service.disable(db, admin, org.org_id, bob.person_id)
    assert service.session_of(db, state.settings, token) is None
    with pytest.raises(SignInFailedError):
        _sign_in(state, "bob", "a brand new zorblax passphrase")
    with pytest.raises(LastAdminError):
        service.disable(db, None, org.org_id, admin.person_id)


def test_csrf_tokens_are_per_session(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path)
    org = make_org(db, "quuxvid")
    ann, bob = person(state, org, "ann"), person(state, org, "bob")
    service.check_csrf(ann, ann.csrf_token)
    for forged in (None, "", bob.csrf_token, ann.csrf_token[:-1] + "x"):
        with pytest.raises(CsrfFailedError):
            service.check_csrf(ann, forged)


def test_an_idle_session_ends(db: Database, tmp_path: Path) -> None:
    state = review_state(db, tmp_path, review_session_idle_seconds=0.05)
    org = make_org(db, "quuxvid")
    person(state, org, "ann")
    token, _ = _sign_in(state, "ann")
    time.sleep(0.1)
    assert service.session_of(db, state.settings, token) is None
