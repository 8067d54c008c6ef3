"""Webhook endpoints and delivery from the outbox, end to end: a real receiver on loopback verifies every request
with the standardwebhooks library; events are written with ``store.outbox.add_event`` as the act service does."""

from __future__ import annotations

import ipaddress
import json
import random
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from sharedhash.server.webhooks.signing import new_secret
from sharedhash.server.webhooks.urls import parse_url
from sharedhash.server.webhooks.worker import DeliveryWorker, retry_plan
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.models import OutboxEvent, WebhookAttempt, WebhookEndpoint
from sharedhash.store.outbox import claim_due, create_endpoint
from sharedhash.store.secretbox import SecretBox
from tests.support.api import assert_error
from tests.support.hub import Hub, make_settings
from tests.support.store import make_org
from tests.support.webhooks import (
    FAST_RETRIES,
    Receiver,
    add_endpoint,
    all_finished,
    db_of,
    states,
    wait_for,
    write_events,
)


def _events(hub: Hub, endpoint_id: int, who: str = "owner", **params: Any) -> list[dict[str, Any]]:
    response = hub.client.get(f"/v1/webhooks/{endpoint_id}/events", params=params, headers=hub.auth(who))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def _in_order_per_key(receiver: Receiver, expected: dict[str, list[str]]) -> None:
    """Per ordering key, the first receipts of its events come in the order the events were written."""
    seen: dict[str, list[str]] = defaultdict(list)
    key_of = {wid: key for key, ids in expected.items() for wid in ids}
    for wid in receiver.delivered_ids():
        if wid not in seen[key_of[wid]]:
            seen[key_of[wid]].append(wid)
    assert dict(seen) == expected


def test_an_endpoint_secret_is_shown_once_and_stored_sealed(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    assert created["secret"].startswith("whsec_")
    assert created["events"] == {"pending": 0, "delivered": 0, "dead": 0}
    shown = webhook_hub.client.get(f"/v1/webhooks/{created['id']}", headers=webhook_hub.auth("owner")).json()
    assert "secret" not in shown
    listed = webhook_hub.client.get("/v1/webhooks", headers=webhook_hub.auth("owner_read")).json()
    assert [e["name"] for e in listed] == ["blocks"]
    with db_of(webhook_hub).reading() as s:
        stored = s.scalars(select(WebhookEndpoint.secret)).one()
    assert stored.startswith("enc1:")
    assert created["secret"] not in stored
    again = webhook_hub.client.post(
        "/v1/webhooks", json={"name": "blocks", "url": receiver.url}, headers=webhook_hub.auth("owner")
    )
    assert_error(again, 409, "name_taken")


def test_events_are_signed_delivered_in_order_and_every_attempt_is_logged(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]
    db = db_of(webhook_hub)
    work = [(f"content-{i % 3}", {"n": i, "content_id": f"content-{i % 3}"}) for i in range(30)]
    ids = write_events(db, "owner", "blocks", work)
    wait_for(lambda: all_finished(db), what="every event delivered")
    assert states(db) == {"delivered": 30}
    assert sorted(receiver.delivered_ids()) == sorted(ids)
    assert all(r.verified_by == (True,) for r in receiver.received)
    first = receiver.received[0]
    assert first.signature.startswith("v1,")
    assert first.timestamp.isdigit()
    envelope = first.envelope
    assert envelope["type"] == "match.block"
    assert set(envelope) == {"type", "timestamp", "data"}
    expected: dict[str, list[str]] = defaultdict(list)
    for (key, _), wid in zip(work, ids, strict=True):
        expected[key].append(wid)
    _in_order_per_key(receiver, dict(expected))
    listed = _events(webhook_hub, created["id"], state="delivered", limit=5)
    assert len(listed) == 5
    assert listed[0]["id"] > listed[-1]["id"]
    older = _events(webhook_hub, created["id"], before=listed[-1]["id"], limit=1000)
    assert len(older) == 25
    detail = webhook_hub.client.get(
        f"/v1/webhooks/{created['id']}/events/{listed[0]['id']}", headers=webhook_hub.auth("owner")
    ).json()
    assert detail["attempts"] == 1
    (attempt,) = detail["attempt_log"]
    assert attempt["outcome"] == "delivered"
    assert attempt["status_code"] == 200
    assert attempt["response"] == '{"ok":true}'
    assert attempt["latency_ms"] > 0
    assert detail["payload"]["content_id"].startswith("content-")


def test_a_receiver_that_fails_for_a_while_gets_every_event_in_order(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]

    def flaky(_: str, nth: int) -> tuple[int, float, bytes]:
        # 500 twice, then a timeout (the hub's read timeout is 0.5 s), then success.
        if nth <= 2:
            return 500, 0.0, b"busy"
        if nth == 3:
            return 200, 1.0, b"late"
        return 204, 0.0, b""

    receiver.behaviour = flaky
    db = db_of(webhook_hub)
    work = [(f"item-{i % 2}", {"n": i}) for i in range(6)]
    ids = write_events(db, "owner", "blocks", work)
    wait_for(lambda: all_finished(db), what="every event delivered")
    assert states(db) == {"delivered": 6}
    expected: dict[str, list[str]] = defaultdict(list)
    for (key, _), wid in zip(work, ids, strict=True):
        expected[key].append(wid)
    _in_order_per_key(receiver, dict(expected))
    with db.reading() as s:
        outcomes = s.execute(select(WebhookAttempt.event_id, WebhookAttempt.outcome, WebhookAttempt.status_code)).all()
    per_event: dict[int, list[str]] = defaultdict(list)
    for event_id, outcome, _ in outcomes:
        per_event[event_id].append(outcome)
    assert all(o == ["failed", "failed", "timeout", "delivered"] for o in per_event.values()), per_event
    assert {code for _, outcome, code in outcomes if outcome == "failed"} == {500}


def test_dead_events_are_redelivered_with_the_same_webhook_id(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]
    receiver.behaviour = lambda _, __: (503, 0.0, b"x" * 5000)
    db = db_of(webhook_hub)
    ids = write_events(db, "owner", "blocks", [("c1", {"n": 1}), ("c1", {"n": 2}), ("c2", {"n": 3})])
    wait_for(lambda: all_finished(db), what="the events to die")
    assert states(db) == {"dead": 3}
    dead = _events(webhook_hub, created["id"], state="dead")
    detail = webhook_hub.client.get(
        f"/v1/webhooks/{created['id']}/events/{dead[0]['id']}", headers=webhook_hub.auth("owner")
    ).json()
    assert len(detail["attempt_log"]) == detail["attempts"] > 1
    assert len(detail["attempt_log"][0]["response"]) == 1024  # the first KiB only
    # Dead events do not hold back the later events of their key: c1's second event was tried after the first died.
    assert receiver.delivered_ids() == []
    receiver.behaviour = lambda _, __: (200, 0.0, b"")
    one = webhook_hub.client.post(
        f"/v1/webhooks/{created['id']}/events/{dead[0]['id']}/redeliver", headers=webhook_hub.auth("owner")
    )
    assert one.status_code == 200, one.text
    assert one.json()["state"] == "pending"
    wait_for(lambda: all_finished(db), what="the redelivery")
    assert receiver.delivered_ids() == [dead[0]["webhook_id"]]
    rest = webhook_hub.client.post(f"/v1/webhooks/{created['id']}/redeliver", headers=webhook_hub.auth("owner"))
    assert rest.json() == {"redelivered": 2}
    wait_for(lambda: all_finished(db), what="the redeliveries")
    assert sorted(receiver.delivered_ids()) == sorted(ids)
    pending_again = webhook_hub.client.post(
        f"/v1/webhooks/{created['id']}/events/{dead[0]['id']}/redeliver", headers=webhook_hub.auth("owner")
    )
    assert pending_again.status_code == 200
    conflict = webhook_hub.client.post(
        f"/v1/webhooks/{created['id']}/events/{dead[0]['id']}/redeliver", headers=webhook_hub.auth("owner")
    )
    if conflict.status_code != 200:  # unless the worker delivered it in between
        assert_error(conflict, 409, "event_pending")


def test_a_paused_endpoint_holds_its_events_in_order(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]
    paused = webhook_hub.client.post(f"/v1/webhooks/{created['id']}/pause", headers=webhook_hub.auth("owner"))
    assert paused.json()["paused"] is True
    db = db_of(webhook_hub)
    ids = write_events(db, "owner", "blocks", [("c1", {"n": i}) for i in range(5)])
    threading.Event().wait(0.5)  # ten poll rounds of the worker
    assert receiver.received == []
    assert paused.json()["events"]["pending"] == 0
    shown = webhook_hub.client.get(f"/v1/webhooks/{created['id']}", headers=webhook_hub.auth("owner")).json()
    assert shown["events"]["pending"] == 5
    webhook_hub.client.post(f"/v1/webhooks/{created['id']}/resume", headers=webhook_hub.auth("owner"))
    wait_for(lambda: all_finished(db), what="delivery after resume")
    assert receiver.delivered_ids() == ids


def test_a_rotated_secret_signs_beside_the_old_one_during_the_overlap(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    rotated = webhook_hub.client.post(
        f"/v1/webhooks/{created['id']}/rotate-secret", json={"overlap_seconds": 3600}, headers=webhook_hub.auth("owner")
    ).json()
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_until"] is not None
    receiver.secrets = [created["secret"], rotated["secret"]]
    db = db_of(webhook_hub)
    write_events(db, "owner", "blocks", [("c1", {"n": 1})])
    wait_for(lambda: all_finished(db), what="delivery")
    (got,) = receiver.received
    assert got.verified_by == (True, True)
    assert len(got.signature.split(" ")) == 2
    again = webhook_hub.client.post(
        f"/v1/webhooks/{created['id']}/rotate-secret", json={"overlap_seconds": 0}, headers=webhook_hub.auth("owner")
    ).json()
    assert again["previous_secret_until"] is None
    receiver.secrets = [rotated["secret"], again["secret"]]
    write_events(db, "owner", "blocks", [("c1", {"n": 2})])
    wait_for(lambda: all_finished(db), what="delivery")
    assert receiver.received[-1].verified_by == (False, True)


def test_redirects_are_not_followed(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]
    receiver.behaviour = lambda _, __: (302, 0.0, b"")
    db = db_of(webhook_hub)
    write_events(db, "owner", "blocks", [("c1", {"n": 1})])
    wait_for(lambda: all_finished(db), what="the event to die")
    with db.reading() as s:
        errors = set(s.scalars(select(WebhookAttempt.error)).all())
    assert errors == {"HTTP 302 (redirects are not followed)"}
    assert {r.status for r in receiver.received} == {302}  # nothing reached the redirect's target


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://203.0.114.7/hook", "https://"),
        ("ftp://203.0.114.7/hook", "https://"),
        ("https://10.1.2.3/hook", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::ffff:192.168.0.1]/hook", "private"),
        ("https://0.0.0.0/hook", "unicast"),
        ("https://user:pw@8.8.8.8/hook", "credentials"),
        ("https://8.8.8.8/hook#frag", "fragment"),
        ("https:///nohost", "no host"),
        ("https://does-not-exist.invalid/hook", "does not resolve"),
    ],
)
def test_urls_into_the_node_network_are_refused(webhook_hub: Hub, url: str, reason: str) -> None:
    response = webhook_hub.client.post(
        "/v1/webhooks", json={"name": "x", "url": url}, headers=webhook_hub.auth("owner")
    )
    assert_error(response, 400, "invalid_webhook_url")
    assert reason in response.json()["error"]["message"]


def test_loopback_needs_the_setting(hub: Hub) -> None:
    response = hub.client.post(
        "/v1/webhooks", json={"name": "x", "url": "http://127.0.0.1:9/hook"}, headers=hub.auth("owner")
    )
    assert_error(response, 400, "invalid_webhook_url")
    assert "loopback" in response.json()["error"]["message"]
    ok = hub.client.post("/v1/webhooks", json={"name": "x", "url": "https://8.8.8.8/hook"}, headers=hub.auth("owner"))
    assert ok.status_code == 201


def test_an_address_refused_at_delivery_time_is_blocked(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    """The check runs on every resolution, not only when the endpoint was made: a URL whose name now resolves to
    an address the node may not send to (DNS rebinding; here, localhost on a node that allows no loopback) is
    refused and nothing reaches it."""
    caller = make_org(db, "quuxvid")
    box = SecretBox(Fernet.generate_key())
    with db.writing() as s:
        create_endpoint(
            s,
            org_id=caller.org_id,
            name="blocks",
            url=receiver.url.replace("127.0.0.1", "localhost"),
            sealed_secret=box.seal(new_secret()),
        )
    write_events(db, "quuxvid", "blocks", [("c1", {"n": 1})])
    strict = make_settings(tmp_path, db.url, **(FAST_RETRIES | {"webhook_allow_loopback": False}))
    stop = threading.Event()
    worker = DeliveryWorker(db, strict, stop, box=box)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: all_finished(db), what="the event to die")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert set(worker.stats.by_outcome) == {"blocked"}
    assert receiver.received == []
    with db.reading() as s:
        errors = set(s.scalars(select(WebhookAttempt.error)).all())
    assert errors == {"localhost resolves to 127.0.0.1: a loopback address, refused"}


def test_other_orgs_endpoint_and_event_ids_are_not_found(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    theirs = add_endpoint(webhook_hub, "mine", receiver.url, who="stranger")
    db = db_of(webhook_hub)
    write_events(db, "owner", "blocks", [("c1", {"n": 1})])
    wait_for(lambda: all_finished(db), what="delivery")
    with db.reading() as s:
        event_id = s.scalars(select(OutboxEvent.id)).one()
    eid, tid = created["id"], theirs["id"]
    stranger = webhook_hub.auth("stranger")
    for method, path in [
        ("GET", f"/v1/webhooks/{eid}"),
        ("DELETE", f"/v1/webhooks/{eid}"),
        ("POST", f"/v1/webhooks/{eid}/pause"),
        ("GET", f"/v1/webhooks/{eid}/events"),
        ("GET", f"/v1/webhooks/{eid}/events/{event_id}"),
        ("POST", f"/v1/webhooks/{eid}/events/{event_id}/redeliver"),
        ("POST", f"/v1/webhooks/{eid}/redeliver"),
        ("GET", f"/v1/webhooks/{tid}/events/{event_id}"),  # their endpoint, the owner's event
        ("POST", f"/v1/webhooks/{tid}/events/{event_id}/redeliver"),
        ("GET", "/v1/webhooks/999999/events"),
    ]:
        assert_error(webhook_hub.client.request(method, path, headers=stranger), 404, "not_found")
    assert [e["name"] for e in webhook_hub.client.get("/v1/webhooks", headers=stranger).json()] == ["mine"]
    rotate = webhook_hub.client.post(f"/v1/webhooks/{eid}/rotate-secret", json={}, headers=stranger)
    assert_error(rotate, 404, "not_found")


def test_readers_cannot_change_endpoints(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    reader = webhook_hub.auth("owner_read")
    assert webhook_hub.client.get(f"/v1/webhooks/{created['id']}/events", headers=reader).status_code == 200
    for path in ("", f"/{created['id']}/pause", f"/{created['id']}/redeliver"):
        response = webhook_hub.client.post(
            f"/v1/webhooks{path}", json={"name": "y", "url": receiver.url}, headers=reader
        )
        assert response.status_code == 403, path


def test_removing_an_endpoint_ends_its_pending_events_and_frees_its_name(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    webhook_hub.client.post(f"/v1/webhooks/{created['id']}/pause", headers=webhook_hub.auth("owner"))
    db = db_of(webhook_hub)
    write_events(db, "owner", "blocks", [("c1", {"n": 1}), ("c2", {"n": 2})])
    removed = webhook_hub.client.delete(f"/v1/webhooks/{created['id']}", headers=webhook_hub.auth("owner"))
    assert removed.status_code == 200
    assert removed.json()["name"] == "blocks"
    assert removed.json()["events"] == {"pending": 0, "delivered": 0, "dead": 2}
    assert webhook_hub.client.get(f"/v1/webhooks/{created['id']}", headers=webhook_hub.auth("owner")).status_code == 404
    add_endpoint(webhook_hub, "blocks", receiver.url)
    assert states(db) == {"dead": 2}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "url": "https://8.8.8.8/"},
        {"name": "has space", "url": "https://8.8.8.8/"},
        {"name": "x", "url": "https://8.8.8.8/", "extra": 1},
        {"name": "x"},
        {"name": "x", "url": "https://8.8.8.8/" + "a" * 2000},
    ],
)
def test_malformed_endpoints_are_refused(webhook_hub: Hub, body: dict[str, Any]) -> None:
    response = webhook_hub.client.post("/v1/webhooks", json=body, headers=webhook_hub.auth("owner"))
    assert_error(response, 422, "invalid_request")
    assert webhook_hub.client.get("/v1/webhooks", headers=webhook_hub.auth("owner")).json() == []


def test_bad_rotation_and_listing_parameters_are_refused(webhook_hub: Hub, receiver: Receiver) -> None:
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    path = f"/v1/webhooks/{created['id']}"
    owner = webhook_hub.auth("owner")
    too_long = webhook_hub.client.post(f"{path}/rotate-secret", json={"overlap_seconds": 10**9}, headers=owner)
    assert_error(too_long, 422, "invalid_request")
    assert_error(webhook_hub.client.get(f"{path}/events?state=lost", headers=owner), 422, "invalid_request")
    assert_error(webhook_hub.client.get(f"{path}/events?limit=0", headers=owner), 422, "invalid_request")


def test_the_retry_plan_backs_off_with_jitter_until_the_total() -> None:
    settings = Settings(
        webhook_retry_base_seconds=5, webhook_retry_max_seconds=3600, webhook_retry_total_seconds=24 * 3600
    )
    rng = random.Random(7)
    delays = []
    attempt = 1
    while (delay := retry_plan(settings, attempt, rng)) is not None:
        delays.append(delay)
        attempt += 1
    nominal = [min(3600.0, 5 * 2.0 ** (n - 1)) for n in range(1, len(delays) + 1)]
    assert all(0.5 * n <= d < 1.5 * n for d, n in zip(delays, nominal, strict=True))
    assert sum(nominal) <= 24 * 3600 < sum(nominal) + 3600
    assert len(set(delays)) == len(delays)  # jittered
    assert retry_plan(settings.model_copy(update={"webhook_retry_total_seconds": 0}), 1, rng) is None


def test_a_parsed_url_connects_to_the_checked_address() -> None:
    parsed = parse_url("https://hooks.example.org:8443/a/b?c=d", Settings())
    assert parsed.with_address(ipaddress.ip_address("203.0.113.9")) == "https://203.0.113.9:8443/a/b?c=d"
    assert parsed.with_address(ipaddress.ip_address("2001:db8::1")) == "https://[2001:db8::1]:8443/a/b?c=d"
    assert parsed.host_header == "hooks.example.org:8443"
    assert json.dumps(parsed.port) == "8443"


def test_resuming_an_endpoint_wakes_its_retries(webhook_hub: Hub, receiver: Receiver) -> None:
    """After an outage the operator pauses and resumes the endpoint: events backing off are due at once."""
    created = add_endpoint(webhook_hub, "blocks", receiver.url)
    receiver.secrets = [created["secret"]]
    owner = webhook_hub.auth("owner")
    webhook_hub.client.post(f"/v1/webhooks/{created['id']}/pause", headers=owner)
    db = db_of(webhook_hub)
    ids = write_events(db, "owner", "blocks", [("c1", {"n": 1}), ("c1", {"n": 2})])
    with db.writing() as s:  # as if the receiver had failed for a while: the next retry is an hour away
        for event in s.scalars(select(OutboxEvent)):
            event.next_attempt_at = event.created_at + timedelta(hours=1)
    webhook_hub.client.post(f"/v1/webhooks/{created['id']}/resume", headers=owner)
    wait_for(lambda: all_finished(db), timeout=10, what="delivery right after the resume")
    assert receiver.delivered_ids() == ids


def _deliver_all(db: Database, settings: Settings, box: SecretBox) -> DeliveryWorker:
    """Run a delivery worker until no event is pending; return it (its stats)."""
    stop = threading.Event()
    worker = DeliveryWorker(db, settings, stop, box=box)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: all_finished(db), what="every event delivered or dead")
    finally:
        stop.set()
        thread.join(timeout=10)
    return worker


def _endpoint_for(db: Database, url: str, box: SecretBox, secret: str) -> None:
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        create_endpoint(s, org_id=caller.org_id, name="blocks", url=url, sealed_secret=box.seal(secret))


def test_a_named_receiver_is_sent_its_host_name_over_the_checked_address(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    """The worker connects to the address it resolved and checked, and names the URL's host in ``Host``."""
    box, secret = SecretBox(Fernet.generate_key()), new_secret()
    receiver.secrets = [secret]
    named = receiver.url.replace("127.0.0.1", "localhost")
    _endpoint_for(db, named, box, secret)
    ids = write_events(db, "quuxvid", "blocks", [("c1", {"n": 1}), ("c1", {"n": 2})])
    worker = _deliver_all(db, make_settings(tmp_path, db.url, **FAST_RETRIES), box)
    assert dict(worker.stats.by_outcome) == {"delivered": 2}
    assert receiver.delivered_ids() == ids
    port = named.split(":")[2].split("/")[0]
    assert {r.host for r in receiver.received} == {f"localhost:{port}"}
    assert all(r.verified_by == (True,) for r in receiver.received)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 that no CA signed, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_an_https_receiver_whose_certificate_does_not_verify_gets_nothing(db: Database, tmp_path: Path) -> None:
    """TLS is verified (CA bundle, and the URL's host name as the server name): a receiver with a certificate no
    CA signed never gets the event, and the attempts say why."""
    https = Receiver().start(tls=_self_signed(tmp_path))
    try:
        box, secret = SecretBox(Fernet.generate_key()), new_secret()
        _endpoint_for(db, https.url.replace("127.0.0.1", "localhost"), box, secret)
        write_events(db, "quuxvid", "blocks", [("c1", {"n": 1})])
        worker = _deliver_all(db, make_settings(tmp_path, db.url, **FAST_RETRIES), box)
    finally:
        https.stop()
    assert set(worker.stats.by_outcome) == {"unreachable"}
    assert https.received == []
    with db.reading() as s:
        errors = s.scalars(select(WebhookAttempt.error)).all()
    assert errors
    assert all(e is not None and "CERTIFICATE_VERIFY_FAILED" in e for e in errors), errors
    assert states(db) == {"dead": 1}


def test_a_receiver_that_is_down_is_probed_one_event_at_a_time_and_the_backlog_drains_when_it_is_back(
    db: Database, receiver: Receiver, tmp_path: Path
) -> None:
    """The circuit breaker: after BREAKER_FAILURES failed attempts in a row the endpoint's events are held (never
    attempted, no back-off of their own), only probes (one event at a time) are sent while the receiver is down, and
    once one is delivered the whole backlog goes at once, in order per key, without waiting out the back-off of the
    events that failed."""
    box, secret = SecretBox(Fernet.generate_key()), new_secret()
    receiver.secrets = [secret]
    down = threading.Event()
    down.set()
    receiver.behaviour = lambda _, __: (503, 0.0, b"down") if down.is_set() else (204, 0.0, b"")
    _endpoint_for(db, receiver.url, box, secret)
    work = [(f"item-{i % 20}", {"n": i}) for i in range(80)]  # 20 keys, 4 events each
    ids = write_events(db, "quuxvid", "blocks", work)
    # A first retry 3-9 s away and up to 30 s later on: without the breaker the drain would wait for them.
    slow = FAST_RETRIES | {
        "webhook_retry_base_seconds": 6.0,
        "webhook_retry_max_seconds": 30.0,
        "webhook_retry_total_seconds": 3600.0,
        "webhook_probe_max_seconds": 0.2,
    }
    stop = threading.Event()
    worker = DeliveryWorker(db, make_settings(tmp_path, db.url, **slow), stop, box=box)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker.stats.breaker_opened == 1, what="the breaker to open")
        wait_for(lambda: worker.stats.probes >= 2, what="two probes")
        with db.reading() as s:
            tried = set(s.scalars(select(WebhookAttempt.event_id)))
            backing_off = [e.next_attempt_at for e in s.scalars(select(OutboxEvent).where(OutboxEvent.attempts > 0))]
        firsts: dict[str, str] = {}
        for key, wid in zip((k for k, _ in work), ids, strict=True):
            firsts.setdefault(key, wid)
        with db.reading() as s:
            first_ids = set(s.scalars(select(OutboxEvent.id).where(OutboxEvent.webhook_id.in_(firsts.values()))))
        # While the receiver is down only each key's first event was ever tried (the others are held, untried).
        assert tried <= first_ids
        down.clear()
        wait_for(lambda: all_finished(db), what="the backlog to drain")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert states(db) == {"delivered": 80}
    expected: dict[str, list[str]] = defaultdict(list)
    for (key, _), wid in zip(work, ids, strict=True):
        expected[key].append(wid)
    _in_order_per_key(receiver, dict(expected))
    # Every failure after the first round (one per key, in flight when the breaker opened) was a probe; the probe
    # that got through is the one delivered probe.
    assert worker.stats.breaker_opened == 1
    assert worker.stats.failed == 20 + worker.stats.probes - 1
    # The backlog did not wait for the back-off of the events that had failed: it was delivered before the latest
    # of their retries would have come due.
    with db.reading() as s:
        last = s.scalar(select(func.max(WebhookAttempt.started_at)).where(WebhookAttempt.outcome == "delivered"))
    assert last is not None
    latest = max(t if t.tzinfo else t.replace(tzinfo=UTC) for t in backing_off)
    assert (last if last.tzinfo else last.replace(tzinfo=UTC)) < latest


def test_events_held_longer_than_the_retry_window_are_dead(db: Database, receiver: Receiver, tmp_path: Path) -> None:
    """A receiver down for longer than the retry window: the held events (never attempted while the breaker is open)
    that were written longer ago than ``webhook_retry_total_seconds`` are marked dead, as they would have died had
    they been tried; younger ones stay pending."""
    box, secret = SecretBox(Fernet.generate_key()), new_secret()
    receiver.secrets = [secret]
    receiver.behaviour = lambda _, __: (503, 0.0, b"down")
    _endpoint_for(db, receiver.url, box, secret)
    ids = write_events(db, "quuxvid", "blocks", [(f"item-{i % 15}", {"n": i}) for i in range(45)])
    old, young = ids[:30], ids[30:]
    with db.writing() as s:
        s.execute(
            update(OutboxEvent)
            .where(OutboxEvent.webhook_id.in_(old))
            .values(created_at=datetime.now(UTC) - timedelta(hours=2))
        )
    settings = FAST_RETRIES | {"webhook_retry_total_seconds": 3600.0, "webhook_probe_max_seconds": 0.2}
    stop = threading.Event()
    worker = DeliveryWorker(db, make_settings(tmp_path, db.url, **settings), stop, box=box)
    worker.expire_every = 0.2

    def dead_ids() -> set[str]:
        with db.reading() as s:
            return set(s.scalars(select(OutboxEvent.webhook_id).where(OutboxEvent.state == "dead")))

    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker.stats.breaker_opened == 1, what="the breaker to open")
        wait_for(lambda: dead_ids() == set(old), what="the old held events to die")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert dead_ids() == set(old)
    with db.reading() as s:
        states_of_young = set(s.scalars(select(OutboxEvent.state).where(OutboxEvent.webhook_id.in_(young))))
    assert states_of_young == {"pending"}


def test_a_claim_that_goes_on_from_an_id_keeps_each_keys_order(db: Database) -> None:
    """A worker sweeping a backlog claims the events after the last id of its previous claim (``after``); an event
    whose key has an earlier pending event at or below that id is not claimed then (it would overtake it), but with
    the earlier one when the sweep starts again from the first id. Claims come back in id order."""
    caller = make_org(db, "quuxvid")
    with db.writing() as s:
        create_endpoint(s, org_id=caller.org_id, name="blocks", url="https://zorblax.example/hook", sealed_secret="x")
    written = write_events(
        db, "quuxvid", "blocks", [("a", {"n": 1}), ("b", {"n": 2}), ("a", {"n": 3}), ("c", {"n": 4})]
    )
    with db.reading() as s:
        id_of = {w: i for w, i in s.execute(select(OutboxEvent.webhook_id, OutboxEvent.id))}
    a1, b2, a3, c4 = (id_of[w] for w in written)
    now = datetime.now(UTC)
    lease = now + timedelta(seconds=60)
    with db.writing() as s:
        swept = claim_due(s, now, lease, 10, after=b2)
    assert [e.id for e in swept] == [c4]  # a3 waits for a1, which lies behind the sweep
    with db.writing() as s:
        again = claim_due(s, now, lease, 10)
    assert [e.id for e in again] == [a1, b2, a3]
    assert [e.ordering_key for e in again] == ["a", "b", "a"]
