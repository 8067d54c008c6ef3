"""Store test helpers: orgs as callers, generated hash values, entries to add."""

from __future__ import annotations

import hashlib

from sharedhash.store.db import Database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import caller_for_org, create_org
from sharedhash.store.validation import HashValue, NewEntry, validate_entry, validate_hash
from sharedhash.store.visibility import Caller


def make_org(db: Database, name: str, scopes: frozenset[Scope] = frozenset({Scope.ADMIN})) -> Caller:
    """Create an org and return a caller acting for it."""
    with db.writing() as s:
        return caller_for_org(create_org(s, name), scopes)


def pdq(n: int) -> str:
    """A valid PDQ value per ``n``; different ``n`` are ~128 bits apart, as unrelated images are."""
    return hashlib.sha256(f"pdq-{n}".encode()).hexdigest()


def md5(n: int) -> str:
    """A distinct valid md5 value per ``n``."""
    return f"{n:032x}"


def entry(*hashes: tuple[str, str], classification: str | None = "A1", external_id: str | None = None) -> NewEntry:
    """A validated new entry from ``(type, value)`` pairs."""
    values: list[HashValue] = [validate_hash(t, v) for t, v in hashes]
    return validate_entry(values, classification, ["zorblax"], external_id)
