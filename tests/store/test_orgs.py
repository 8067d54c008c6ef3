"""Orgs and API keys: salted storage, authentication, revocation, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sharedhash.errors import AuthenticationError, InvalidInputError, NotFoundError
from sharedhash.hub_errors import KeyExpiredError, KeyRevokedError, NameTakenError
from sharedhash.store.db import Database
from sharedhash.store.models import ApiKey, Scope, utcnow
from sharedhash.store.orgs import authenticate, create_key, create_org, list_keys, parse_scopes, revoke_key
from tests.support.store import make_org


def test_org_names_are_unique(db: Database) -> None:
    make_org(db, "quuxvid")
    with pytest.raises(NameTakenError), db.writing() as s:
        create_org(s, "quuxvid")


def test_key_is_stored_only_as_a_salted_hash_and_authenticates(db: Database) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        issued = create_key(s, caller.org_id, frozenset({Scope.READ}), name="ci")
    with db.reading() as s:
        row = s.scalar(select(ApiKey))
        assert row is not None
        secret = issued.token.split("_", 2)[2]
        assert secret not in (row.secret_hash, row.salt, row.prefix)
        authed, stale = authenticate(s, issued.token)
    assert authed.org_id == caller.org_id
    assert authed.scopes == frozenset({Scope.READ})
    assert stale


@pytest.mark.parametrize("token", ["", "nonsense", "shk_0123456789abcdef_wrong", "shk__x", "Bearer x"])
def test_bad_tokens_are_refused(db: Database, token: str) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        create_key(s, caller.org_id, frozenset({Scope.READ}))
    with pytest.raises(AuthenticationError), db.reading() as s:
        authenticate(s, token)


def test_a_wrong_secret_with_a_real_prefix_is_refused(db: Database) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        issued = create_key(s, caller.org_id, frozenset({Scope.READ}))
    forged = issued.token[:-4] + ("aaaa" if not issued.token.endswith("aaaa") else "bbbb")
    with pytest.raises(AuthenticationError) as info, db.reading() as s:
        authenticate(s, forged)
    assert info.value.code == "unauthenticated"


def test_revoked_and_expired_keys_are_refused_with_their_own_codes(db: Database) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        revoked = create_key(s, caller.org_id, frozenset({Scope.READ}))
        expiring = create_key(s, caller.org_id, frozenset({Scope.READ}), expires_at=utcnow() + timedelta(hours=1))
    with db.writing() as s:
        revoke_key(s, caller, revoked.key.id)
        s.get(ApiKey, expiring.key.id).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    with pytest.raises(KeyRevokedError), db.reading() as s:
        authenticate(s, revoked.token)
    with pytest.raises(KeyExpiredError), db.reading() as s:
        authenticate(s, expiring.token)


def test_keys_are_listed_and_revoked_only_within_the_org(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    other = make_org(db, "plimmerbolt")
    with db.writing() as s:
        issued = create_key(s, owner.org_id, frozenset({Scope.ADMIN}))
    with db.reading() as s:
        assert [k.id for k in list_keys(s, owner)] == [issued.key.id]
        assert list_keys(s, other) == []
    with pytest.raises(NotFoundError), db.writing() as s:
        revoke_key(s, other, issued.key.id)


def test_scopes_parse_and_imply_each_other() -> None:
    assert parse_scopes("read, admin") == frozenset({Scope.READ, Scope.ADMIN})
    with pytest.raises(InvalidInputError):
        parse_scopes("superuser")
    with pytest.raises(InvalidInputError):
        parse_scopes([])


@pytest.mark.parametrize("name", ["zorb\ud800lax", "zorb\x00lax", "zorble\u0301x"])
def test_names_the_store_cannot_hold_are_refused_by_the_store_too(db: Database, name: str) -> None:
    # The CLI and other tools call the store directly: the API's text rule holds here as well.
    with db.writing() as s, pytest.raises(InvalidInputError) as caught:
        create_org(s, name)
    assert caught.value.code == "invalid_text"
    with db.writing() as s:
        org = create_org(s, "zorblax")
        with pytest.raises(InvalidInputError):
            create_key(s, org.id, frozenset({Scope.READ}), name=name)
