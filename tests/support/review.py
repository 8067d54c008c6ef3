"""Review test helpers: people of an org (signed in through the service), and content to review (a list entry,
a check of benign placeholder content, its match and its queue item, made directly with the models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sharedhash.server.accounts import service as accounts
from sharedhash.server.accounts.service import Who
from sharedhash.server.memory.throttle import SignInThrottle
from sharedhash.server.state import HubState
from sharedhash.settings import Settings
from sharedhash.store import review as review_store
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry
from sharedhash.store.lists import create_list
from sharedhash.store.models import ContentCheck, ContentMatch, Visibility, utcnow
from sharedhash.store.visibility import Caller
from tests.support.store import entry, make_org, md5

PASSWORD = "correct horse zorblax staple"


def review_settings(tmp_path: Path, url: str, **overrides: object) -> Settings:
    """Settings for review tests (the secret key lives in the test's folder)."""
    return Settings(data_dir=tmp_path / "data", database_url=url, **overrides)  # type: ignore[arg-type]


def review_state(db: Database, tmp_path: Path, **overrides: object) -> HubState:
    """A hub state on the test database, for calling services directly."""
    return HubState(settings=review_settings(tmp_path, "sqlite://", **overrides), db=db)


def person(state: HubState, org: Caller, login: str, role: str = "moderator") -> Who:
    """Add a person with :data:`PASSWORD` and sign them in; the signed-in person."""
    accounts.add_person(state.db, state.settings, None, org_id=org.org_id, login=login, role=role, password=PASSWORD)
    _, who = accounts.sign_in(
        state.db, state.settings, SignInThrottle(), login=login, password=PASSWORD, totp_code="", address="test"
    )
    return who


@dataclass
class Content:
    """A queued piece of content: its item, check, match and the matched entry."""

    item_id: int
    check_id: int
    match_id: int
    entry_id: int
    list_id: int


def queued(
    db: Database,
    org: Caller,
    *,
    n: int,
    priority: int = 0,
    uploader: str | None = "uploader-7",
    url: str | None = None,
    age_seconds: float = 0,
    content_id: str | None = None,
    lst: int | None = None,
) -> Content:
    """A check of the org's content that matched an entry of one of its lists, queued for review."""
    with db.writing() as s:
        if lst is None:
            lst = create_list(s, org, f"known-{n}", visibility=Visibility.PRIVATE).id
        view, _ = add_entry(s, org, lst, entry(("md5", md5(n)), classification="A2"))
        entry_id = view.entry.id
        check = ContentCheck(
            org_id=org.org_id,
            idempotency_key=f"k{n}",
            content_id=content_id or f"upload-{n}",
            content_type="image",
            uploader_id=uploader,
            url=url,
            labels=["zorblax"],
            hashes=[{"type": "md5", "value": md5(n)}],
            matched=True,
            created_at=utcnow() - timedelta(seconds=age_seconds),
        )
        s.add(check)
        s.flush()
        match = ContentMatch(
            check_id=check.id,
            org_id=org.org_id,
            list_id=lst,
            entry_id=entry_id,
            hash_type="md5",
            distance=0,
            rule="review-known",
        )
        s.add(match)
        s.flush()
        item = review_store.add_item(s, org_id=org.org_id, check_id=check.id, match_id=match.id, priority=priority)
        item.created_at = utcnow() - timedelta(seconds=age_seconds)
        return Content(item.id, check.id, match.id, entry_id, lst)


__all__ = ["PASSWORD", "Content", "make_org", "person", "queued", "review_settings", "review_state"]
