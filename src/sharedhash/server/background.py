"""Background threads of a running server: build the indexes, follow other processes' writes, run subscriptions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sharedhash.server.deps import HubState

log = logging.getLogger(__name__)


def _every(state: HubState, seconds: float, work: Callable[[], object], what: str) -> None:
    """Run ``work`` every ``seconds`` until ``state.stop`` is set; a failure is logged and the next round retries
    (a database hiccup must not end a background thread)."""
    while not state.stop.wait(seconds):
        try:
            work()
        except Exception:
            log.exception("%s failed; retrying", what)


def _load_then_follow(state: HubState) -> None:
    try:
        state.indexes.load(state.db)
    except Exception:  # recorded on the IndexSet and shown by /readyz
        return
    _every(state, state.settings.index_follow_seconds, lambda: state.indexes.follow(state.db), "following the database")


def _run_subscriptions(state: HubState) -> None:
    from sharedhash.sync.scheduler import run_due_subscriptions

    _every(
        state,
        state.settings.subscription_poll_seconds,
        lambda: run_due_subscriptions(
            state.db,
            stop=state.stop,
            on_commit=lambda ids: state.indexes.refresh_after_write(state.db, ids),
            settings=state.settings,
        ),
        "running subscriptions",
    )


def _flush_audit(state: HubState) -> None:
    _every(state, state.settings.audit_flush_seconds, state.audit.flush, "writing the audit log")
    state.audit.flush()


#: Seconds between the SQLite WAL checkpoints of a running server (each is quick when there is nothing to copy).
WAL_CHECKPOINT_SECONDS = 1.0


def _checkpoint_wal(state: HubState) -> None:
    _every(state, WAL_CHECKPOINT_SECONDS, state.db.checkpoint_wal, "checkpointing the SQLite WAL")


def start_background(state: HubState) -> list[threading.Thread]:
    """Start the index loader/follower, the subscription runner, the audit flusher and (SQLite) the WAL
    checkpointer; they end when ``state.stop`` is set."""
    threads = [
        threading.Thread(target=_load_then_follow, args=(state,), name="sharedhash-indexes", daemon=True),
        threading.Thread(target=_run_subscriptions, args=(state,), name="sharedhash-subscriptions", daemon=True),
        threading.Thread(target=_flush_audit, args=(state,), name="sharedhash-audit", daemon=True),
    ]
    if state.db.is_sqlite:
        threads.append(threading.Thread(target=_checkpoint_wal, args=(state,), name="sharedhash-wal", daemon=True))
    for thread in threads:
        thread.start()
    return threads
