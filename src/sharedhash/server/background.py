"""Background threads of a running server: build the indexes, follow other processes' writes, run subscriptions."""

from __future__ import annotations

import logging
import threading

from sharedhash.server.deps import HubState

log = logging.getLogger(__name__)


def _load_then_follow(state: HubState) -> None:
    try:
        state.indexes.load(state.db)
    except Exception:  # recorded on the IndexSet and shown by /readyz
        return
    while not state.stop.wait(state.settings.index_follow_seconds):
        try:
            state.indexes.follow(state.db)
        except Exception:  # a database hiccup must not end the follower; the next round retries
            log.exception("following the database failed")


def _run_subscriptions(state: HubState) -> None:
    from sharedhash.sync.scheduler import run_due_subscriptions

    while not state.stop.wait(state.settings.subscription_poll_seconds):
        try:
            run_due_subscriptions(
                state.db,
                stop=state.stop,
                on_commit=lambda ids: state.indexes.refresh_after_write(state.db, ids),
                settings=state.settings,
            )
        except Exception:
            log.exception("running subscriptions failed")


def _flush_audit(state: HubState) -> None:
    while not state.stop.wait(state.settings.audit_flush_seconds):
        try:
            state.audit.flush()
        except Exception:
            log.exception("writing the audit log failed; retrying")
    state.audit.flush()


#: Seconds between the SQLite WAL checkpoints of a running server (each is quick when there is nothing to copy).
WAL_CHECKPOINT_SECONDS = 1.0


def _checkpoint_wal(state: HubState) -> None:
    while not state.stop.wait(WAL_CHECKPOINT_SECONDS):
        try:
            state.db.checkpoint_wal()
        except Exception:
            log.exception("checkpointing the SQLite WAL failed; retrying")


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
