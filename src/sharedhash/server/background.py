"""The background loops of a running server, registered in one :class:`~sharedhash.server.loops.LoopRegistry`:
build the indexes and follow other processes' writes, run subscriptions, send feedback on mirrored entries to
their source hubs, flush the audit buffer, checkpoint the SQLite WAL, keep the entry cache warm, submit due
CyberTipline reports and purge their preservation records past the legal period, the deterrence loops (rules
watcher, counter flush), and the webhook delivery worker."""

from __future__ import annotations

import threading

from sharedhash.server.act import service as act
from sharedhash.server.deterrence.service import DeterrenceService
from sharedhash.server.feedback.service import send_outbox
from sharedhash.server.loops import Loop, LoopRegistry
from sharedhash.server.memory.entry_cache import run_entry_warmer
from sharedhash.server.reports import service as reports
from sharedhash.server.review import quarantine
from sharedhash.server.state import HubState
from sharedhash.server.subscriptions.service import run_due
from sharedhash.server.webhooks.worker import DeliveryWorker

#: Seconds between the SQLite WAL checkpoints of a running server (each is quick when there is nothing to copy).
WAL_CHECKPOINT_SECONDS = 1.0
#: Seconds between two purges of report preservation records past the legal preservation period.
REPORT_PURGE_SECONDS = 3600.0


def _load_indexes(state: HubState) -> bool:
    try:
        state.indexes.load(state.db)
    except Exception:  # recorded on the IndexSet and shown by /readyz
        return False
    return True


def register_loops(state: HubState, deterrence: DeterrenceService) -> LoopRegistry:
    """Every background loop of the hub, registered (not yet started)."""
    loops = LoopRegistry(state.stop)
    loops.add(
        Loop(
            "sharedhash-indexes",
            "following the database",
            state.settings.index_follow_seconds,
            lambda: state.indexes.follow(state.db),
            first=lambda: _load_indexes(state),
        )
    )
    loops.add(
        Loop(
            "sharedhash-subscriptions",
            "running subscriptions",
            state.settings.subscription_poll_seconds,
            lambda: run_due(state),
        )
    )
    loops.add(
        Loop(
            "sharedhash-feedback-outbox",
            "sending feedback to source hubs",
            state.settings.subscription_poll_seconds,
            lambda: send_outbox(state),
        )
    )
    loops.add(
        Loop(
            "sharedhash-audit",
            "writing the audit log",
            state.settings.audit_flush_seconds,
            state.audit.flush,
            last=state.audit.flush,
        )
    )
    loops.add(
        Loop(
            "sharedhash-key-use",
            "writing keys' last-used times",
            state.settings.audit_flush_seconds,
            state.key_use.flush,
            last=state.key_use.flush,
        )
    )
    if state.db.is_sqlite:
        loops.add(
            Loop("sharedhash-wal", "checkpointing the SQLite WAL", WAL_CHECKPOINT_SECONDS, state.db.checkpoint_wal)
        )
    loops.add_thread(
        "sharedhash-entry-cache",
        lambda: run_entry_warmer(
            state.caches.entries,
            state.db,
            state.indexes.ready,
            state.stop,
            lambda: sum(state.indexes.sizes().values()),
        ),
    )
    loops.add(
        Loop(
            "sharedhash-retroactive",
            "matching new list hashes against recent checks",
            state.settings.retroactive_seconds,
            lambda: act.run_retroactive(state),
            first=lambda: act.load_check_hashes(state),
        )
    )
    loops.add(
        Loop(
            "sharedhash-reports",
            "submitting CyberTipline reports",
            state.settings.report_poll_seconds,
            lambda: reports.run_due(state.db, state.settings),
        )
    )
    loops.add(
        Loop(
            "sharedhash-check-purge",
            "purging expired checks",
            state.settings.check_purge_seconds,
            lambda: act.purge_expired(state),
            first=lambda: act.purge_expired(state),
        )
    )
    loops.add(
        Loop(
            "sharedhash-report-preservation",
            "purging expired report preservation records",
            REPORT_PURGE_SECONDS,
            lambda: reports.purge_preserved(state.db),
            first=lambda: reports.purge_preserved(state.db),
        )
    )
    loops.add(
        Loop(
            "sharedhash-quarantine-purge",
            "deleting quarantined review media past its retention or preservation period",
            state.settings.quarantine_purge_seconds,
            lambda: quarantine.purge(state),
            first=lambda: quarantine.purge(state),
        )
    )
    for loop in deterrence.loops():
        loops.add(loop)
    if state.settings.webhook_worker:
        loops.add_thread("sharedhash-webhooks", DeliveryWorker(state.db, state.settings, state.stop).run)
    return loops


def start_background(state: HubState, deterrence: DeterrenceService) -> list[threading.Thread]:
    """Start every background loop; they end when ``state.stop`` is set."""
    return register_loops(state, deterrence).start()
