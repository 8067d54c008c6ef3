"""``/metrics``: the hub's counters (checks, matches, actions, lookup latency; :mod:`..memory.metrics`) and gauges
read from the database and memory at scrape time: outbox depth and oldest undelivered age, outbox events by state
(deliveries by status), feed lag per subscription, index sizes, retroactive matching's queue."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sharedhash.errors import PermissionDeniedError
from sharedhash.server.state import HubState
from sharedhash.store.checks import outbox_stats
from sharedhash.store.mirror import subscription_statuses
from sharedhash.store.models import OutboxState, utcnow
from sharedhash.store.visibility import Caller

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ScrapeTime(Collector):
    """Gauges read when Prometheus scrapes."""

    def __init__(self, state: HubState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        state = self.state
        now = utcnow()
        with state.db.reading() as session:
            counts, oldest = outbox_stats(session)
            subscriptions = subscription_statuses(session)
        depth = GaugeMetricFamily("sharedhash_outbox_depth", "Webhook events waiting for delivery.")
        depth.add_metric([], counts.get(OutboxState.PENDING.value, 0))
        yield depth
        age = GaugeMetricFamily(
            "sharedhash_outbox_oldest_pending_age_seconds",
            "Age of the oldest webhook event not delivered yet (0: none waits).",
        )
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield age
        by_state = GaugeMetricFamily(
            "sharedhash_outbox_events", "Webhook events in the outbox by delivery state.", labels=["state"]
        )
        for name in OutboxState:
            by_state.add_metric([name.value], counts.get(name.value, 0))
        yield by_state
        lag = GaugeMetricFamily(
            "sharedhash_subscription_lag_seconds",
            "Seconds since a subscription's last completed sync (absent: none yet).",
            labels=["subscription"],
        )
        for status in subscriptions:
            if status.last_success_at is not None:
                lag.add_metric([str(status.subscription.id)], (now - status.last_success_at).total_seconds())
        yield lag
        sizes = GaugeMetricFamily("sharedhash_index_hashes", "Hashes in the lookup indexes.", labels=["hash_type"])
        for hash_type, size in state.indexes.sizes().items():
            sizes.add_metric([hash_type], size)
        yield sizes
        checks = GaugeMetricFamily(
            "sharedhash_check_index_hashes",
            "Near-match hashes of recent checks held for retroactive matching.",
            labels=["hash_type"],
        )
        for hash_type, size in state.check_hashes.sizes().items():
            checks.add_metric([hash_type], size)
        yield checks
        pending = GaugeMetricFamily(
            "sharedhash_retroactive_pending", "New list hashes waiting to be matched against recent checks."
        )
        pending.add_metric([], state.check_hashes.pending())
        yield pending


def render(state: HubState, caller: Caller) -> bytes:
    """The Prometheus text exposition of the hub's metrics; only the hub operator's keys may read them (they sum
    every org's activity)."""
    if not caller.is_operator:
        raise PermissionDeniedError("only the hub operator's keys may read the metrics")
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_ScrapeTime(state))
    return generate_latest(state.metrics.registry) + generate_latest(scrape)
