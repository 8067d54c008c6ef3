"""``/metrics``: the Prometheus exposition (parsed with prometheus-client's own parser) counts checks, matches by
list, actions by type and lookups, and shows the outbox, index sizes and retroactive queue; hub operator only."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from sharedhash.store.models import OutboxEvent, utcnow
from tests.support.act import add_endpoint, add_rule, check
from tests.support.api import add, assert_error, lookup, md5, new_list
from tests.support.hub import Hub, state_of


def _samples(hub: Hub) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = hub.client.get("/metrics", headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_metrics_count_what_the_hub_did(act_hub: Hub) -> None:
    lst = new_list(act_hub)
    add(act_hub, lst["id"], ("md5", md5(1)))
    endpoint = add_endpoint(act_hub, "hooks")
    add_rule(act_hub, name="block", actions=[{"type": "webhook", "endpoint": "hooks", "event_type": "match.block"}])
    check(act_hub, "m-1", ("md5", md5(1)))
    check(act_hub, "m-2", ("md5", md5(2)))
    lookup(act_hub, ("md5", md5(1)))
    # An old undelivered event, as a stalled endpoint leaves behind.
    with state_of(act_hub).db.writing() as s:
        s.add(
            OutboxEvent(
                org_id=1,
                endpoint_id=endpoint,
                webhook_id="msg_old",
                event_type="match.block",
                ordering_key="m-0",
                payload={},
                created_at=utcnow() - timedelta(minutes=30),
            )
        )
    samples = _samples(act_hub)
    assert samples[("sharedhash_checks_total", (("kind", "hashes"),))] == 2
    assert samples[("sharedhash_matches_total", (("list_id", str(lst["id"])), ("retroactive", "false")))] == 1
    assert samples[("sharedhash_actions_total", (("action", "block"),))] == 1
    assert samples[("sharedhash_outbox_depth", ())] == 2
    assert samples[("sharedhash_outbox_oldest_pending_age_seconds", ())] >= 30 * 60 - 5
    assert samples[("sharedhash_outbox_events", (("state", "pending"),))] == 2
    assert samples[("sharedhash_outbox_events", (("state", "dead"),))] == 0
    assert samples[("sharedhash_index_hashes", (("hash_type", "md5"),))] == 1
    assert samples[("sharedhash_lookup_seconds_count", (("endpoint", "hashes"),))] >= 1
    assert samples[("sharedhash_lookup_seconds_count", (("endpoint", "content"),))] == 2
    assert samples[("sharedhash_retroactive_pending", ())] == 1  # the entry, until the next round


def test_metrics_are_for_the_hub_operator(act_hub: Hub) -> None:
    assert_error(act_hub.client.get("/metrics", headers=act_hub.auth("stranger")), 403, "permission_denied")
    assert_error(act_hub.client.get("/metrics"), 401, "unauthenticated")
