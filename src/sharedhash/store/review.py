"""Review queues and their items: the action rules enqueue content here; people decide on it (server/review)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharedhash.store.models import ReviewItem, ReviewQueue

DEFAULT_QUEUE = "default"


def queue_named(session: Session, org_id: int, name: str) -> ReviewQueue:
    """The org's queue of that name, created on first use."""
    queue = session.scalar(select(ReviewQueue).where(ReviewQueue.org_id == org_id, ReviewQueue.name == name))
    if queue is None:
        queue = ReviewQueue(org_id=org_id, name=name)
        session.add(queue)
        session.flush()
    return queue


def add_item(
    session: Session,
    *,
    org_id: int,
    check_id: int,
    match_id: int | None,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
) -> ReviewItem:
    """Enqueue one piece of content for review in the caller's transaction."""
    item = ReviewItem(
        org_id=org_id,
        queue_id=queue_named(session, org_id, queue).id,
        check_id=check_id,
        match_id=match_id,
        priority=priority,
    )
    session.add(item)
    session.flush()
    return item
