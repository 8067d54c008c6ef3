"""The hub's Prometheus metrics (prometheus-client), one registry per hub: counters the services add to as they
work (checks, matches, actions, lookup latency), and gauges read at scrape time (outbox, subscriptions, indexes)
through collectors registered by the metrics domain (server/metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

#: Lookup latency buckets (seconds): lookups answer in well under a millisecond to tens of milliseconds.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HubMetrics:
    """The metrics of one hub."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.checks = Counter(
            "sharedhash_checks",
            "Content checks recorded, by how they came (hashes, file).",
            ["kind"],
            registry=self.registry,
        )
        self.matches = Counter(
            "sharedhash_matches",
            "Matches of checked content, by list id and whether found retroactively.",
            ["list_id", "retroactive"],
            registry=self.registry,
        )
        self.actions = Counter(
            "sharedhash_actions",
            "Actions decided by the rules, by action (block, review, ...).",
            ["action"],
            registry=self.registry,
        )
        self.lookup_seconds = Histogram(
            "sharedhash_lookup_seconds",
            "Time to answer a lookup or check from the indexes (seconds).",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
