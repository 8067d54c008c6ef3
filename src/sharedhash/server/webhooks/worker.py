"""The delivery worker: takes due events from the outbox and sends them, signed, to their endpoints.

One asyncio loop in its own thread (registered in the hub's loop registry, or run alone by ``sharedhash webhook
worker``), run as a pipeline so the database work overlaps with the requests in flight: ``webhook_concurrency``
sender tasks take groups of events from a queue (the first pending events of one (endpoint, ordering key), sent one
after another; different keys at once) over one aiohttp ClientSession with a keep-alive connection pool (aiohttp
costs about a tenth of httpx's CPU per request, measured side by side in bench/webhooks.py), while one pipeline task
writes the attempts finished so far and claims the next due events (:func:`sharedhash.store.outbox.claim_due`,
leased to this worker) in one transaction in a thread, step after step, keeping the queue filled. An event that
fails is retried with exponential back-off and jitter; the later events of its key wait for it, until it is
delivered or dead (a key's next event can only be claimed once its earlier one is recorded). A receiver that is down
(BREAKER_FAILURES failed attempts in a row to its endpoint) opens that endpoint's circuit breaker: its events are
held (not claimed, no attempt rows, no back-off of their own) while one event at a time probes the receiver on the
breaker's own back-off; the first delivery closes it and the backlog drains at full pace (see :class:`_Breaker`). If
the worker dies, its claimed events become due again when their lease ends and are sent again with the same
``webhook-id``: receivers drop duplicates by that id."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import certifi

from sharedhash.hub_errors import InvalidWebhookUrlError
from sharedhash.server.webhooks import service
from sharedhash.server.webhooks.signing import Signer, envelope
from sharedhash.server.webhooks.urls import IPAddress, ParsedUrl, addresses_of, check_addresses, parse_url
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.models import AttemptOutcome, OutboxState
from sharedhash.store.outbox import AttemptRecord, DueEvent, Target
from sharedhash.store.secretbox import SecretBox

log = logging.getLogger(__name__)

#: The most of a receiver's answer kept with an attempt.
RESPONSE_BYTES = 1024
#: How long a host's checked addresses are reused (each connection still goes to a checked address).
RESOLVE_SECONDS = 30.0
#: Claimed events per sender at least: enough to keep the senders busy while the next step runs.
CLAIM_FACTOR = 4
#: Claimed events per sender at most, with a fast receiver (fewer, larger database steps: each step costs the
#: worker thread's GIL hand-offs to and from the database thread, measured in bench/webhooks.py). With a slower
#: one the queue is kept to what the senders send in a quarter of the lease (see :meth:`DeliveryWorker._high`).
CLAIM_FACTOR_MAX = 16
#: Attempts recorded in one transaction at most.
RECORD_BATCH = 2000
#: Events claimed in one step at most.
CLAIM_MAX = 1000
#: How long an idle worker waits after the first finished attempt for more, to write them in one transaction.
FLUSH_SECONDS = 0.005
#: Events of one ordering key sent from one claim at most (one after another; the others are handed back at once).
PER_KEY = 4
#: Failed attempts in a row to one endpoint that open its circuit breaker (its receiver is taken to be down).
BREAKER_FAILURES = 10
#: Failed events an open breaker remembers, to make them due at once when it closes.
BREAKER_REMEMBERED = 10_000
#: Seconds between two look-ups of held events that outlived the retry window (marked dead, see service.expire_held).
EXPIRE_EVERY = 60.0


def retry_plan(settings: Settings, attempt: int, rng: random.Random) -> float | None:
    """Seconds until the next try after failed attempt number ``attempt`` (1-based), or None: the event is dead.

    Exponential back-off: the nominal delay doubles from ``webhook_retry_base_seconds`` up to
    ``webhook_retry_max_seconds``; the event is dead once the nominal delays would add up to more than
    ``webhook_retry_total_seconds`` (24 h by default). Each delay is the nominal one times a random factor in
    [0.5, 1.5) (jitter: receivers coming back from an outage are not hit by every retry at once)."""
    base, cap, total = (
        settings.webhook_retry_base_seconds,
        settings.webhook_retry_max_seconds,
        settings.webhook_retry_total_seconds,
    )

    def nominal(n: int) -> float:
        return min(cap, base * 2.0 ** min(n - 1, 60))

    if sum(nominal(n) for n in range(1, attempt + 1)) > total:
        return None
    return nominal(attempt) * (0.5 + rng.random())


@dataclass
class _Route:
    parsed: ParsedUrl
    addresses: list[IPAddress]
    until: float


@dataclass
class _Breaker:
    """One endpoint's circuit breaker. Closed: its events are sent at full pace. Open (``failures`` reached
    BREAKER_FAILURES in a row): its events are held where they are (not claimed, no attempt, no back-off of their
    own) and one event at a time probes the receiver, on a back-off of the breaker's own (``delay``, doubling from
    ``webhook_retry_base_seconds`` up to ``webhook_probe_max_seconds``, with jitter); the first delivered attempt
    closes it and the held events go at full pace again."""

    failures: int = 0
    open: bool = False
    delay: float = 0.0
    probe_at: float = 0.0  # monotonic
    probing: bool = False  # a probe event is claimed or in flight
    #: Events whose failed attempts make up the current run of failures (at most BREAKER_REMEMBERED): when the
    #: breaker closes, those still backing off are due at once (the receiver is back; no need to wait).
    failed_ids: set[int] = field(default_factory=set)


@dataclass
class WorkerStats:
    """What the worker did since it started (for benchmarks, tests and logs)."""

    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    #: How often an endpoint's circuit breaker opened, and how many probes (single attempts while open) were made.
    breaker_opened: int = 0
    probes: int = 0
    by_outcome: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class DeliveryWorker:
    """Delivers the outbox until ``stop`` is set (:meth:`run` is a thread's target)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        stop: threading.Event,
        *,
        box: SecretBox | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.stop = stop
        self._box = box
        self._rng = random.Random()
        self._signers: dict[tuple[int, str, str | None], Signer] = {}
        self._routes: dict[str, _Route] = {}
        self._breakers: dict[int, _Breaker] = defaultdict(_Breaker)
        self._records: list[AttemptRecord] = []
        self._released: list[int] = []
        self._due_again: list[int] = []  # events backing off that are due at once (their endpoint is back)
        self._next_expiry = 0.0  # monotonic: when held events are next looked at for the retry window
        #: Where the next claim starts (event id): the end of the last full claim, 0 after a short one or when
        #: events are handed back (see store.outbox.claim_due's ``after``).
        self._sweep_from = 0
        self.expire_every = EXPIRE_EVERY
        self._in_flight = 0
        self._busy = 0
        self._latency = 1.0  # seconds per attempt, moving average (starts cautious: a short queue)
        #: Claimed groups waiting for a sender: a key's events, their endpoint, when they were claimed (monotonic),
        #: whether it is a probe (the one event tried while the endpoint's breaker is open).
        self._queue: asyncio.Queue[tuple[list[DueEvent], Target, float, bool]]
        self._wake: asyncio.Event
        self.stats = WorkerStats()

    # -- the thread ----------------------------------------------------------------------------------------

    def run(self) -> None:
        """Deliver until ``stop`` is set (a failure of a round is logged and the next round retries)."""
        with asyncio.Runner(loop_factory=new_loop) as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        s = self.settings
        longest = PER_KEY * (s.webhook_connect_timeout + s.webhook_read_timeout)
        if s.webhook_lease_seconds < longest:
            log.warning(
                "SHAREDHASH_WEBHOOK_LEASE_SECONDS (%s) is under %s s (%d events of a key, each up to the connect and "
                "read timeouts): a slow receiver may get one event twice",
                s.webhook_lease_seconds,
                longest,
                PER_KEY,
            )
        # Connect and read timeouts, and the whole attempt bounded by their sum (a receiver that drips its answer
        # byte by byte does not hold the event past the lease either).
        timeout = aiohttp.ClientTimeout(
            total=s.webhook_connect_timeout + s.webhook_read_timeout,
            sock_connect=s.webhook_connect_timeout,
            sock_read=s.webhook_read_timeout,
        )
        # TLS verified against the certifi bundle (as the API client's httpx does), with the URL's host name as the
        # server name (the worker connects to the address it checked; see _route).
        tls = ssl.create_default_context(cafile=certifi.where())
        connector = aiohttp.TCPConnector(limit=s.webhook_concurrency, limit_per_host=0, ssl=tls, use_dns_cache=False)
        self._latency = s.webhook_connect_timeout + s.webhook_read_timeout  # cautious until attempts are timed
        self._queue = asyncio.Queue()
        self._wake = asyncio.Event()
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            trust_env=False,  # no proxy from the environment
            cookie_jar=aiohttp.DummyCookieJar(),  # a receiver's cookies are never sent to another
        ) as session:
            self._session = session
            senders = [asyncio.create_task(self._sender()) for _ in range(s.webhook_concurrency)]
            try:
                await self._pipeline()
            finally:
                await self._finish(senders)

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.05, max(0.0, end - time.monotonic())))

    async def _expire(self, held: set[int]) -> None:
        """Held events never get an attempt, so none dies of its back-off: those older than the retry window die
        here instead (as they would have, had their receiver been tried all along)."""
        try:
            dead = await asyncio.to_thread(service.expire_held, self.db, self.settings, held)
        except Exception:
            log.exception("expiring held webhook events failed; retrying later")
            return
        if dead:
            self.stats.dead += dead
            log.warning("%d held webhook events outlived the retry window and are dead", dead)

    # -- the pipeline: claiming and recording beside the requests in flight ---------------------------------------

    async def _pipeline(self) -> None:
        """The database side, while the senders send: each step writes the attempts finished since the last one and
        claims due events to refill the queue, in one transaction in a thread (the loop keeps sending meanwhile).
        Steps follow one another as long as there is work; an idle worker waits for a finished attempt (then a few
        ms more, to write a batch) or for the poll interval."""
        s = self.settings
        next_poll = 0.0  # after a claim found nothing due: no claim without new records before this (monotonic)
        while not self.stop.is_set():
            high = self._high()
            room = high - self._in_flight
            records, self._records = self._records[:RECORD_BATCH], self._records[RECORD_BATCH:]
            released, self._released = self._released, []
            due_again, self._due_again = self._due_again, []
            now = time.monotonic()
            # Claim when the queue has room for a useful batch (or the senders are about to run dry); after an empty
            # claim, again only when an attempt was recorded (it may free its key's next event) or at the next poll.
            wanted = room > 0 and (room >= high // 4 or self._queue.empty())
            limit = min(room, CLAIM_MAX) if wanted and (records or released or now >= next_poll) else 0
            held = {e for e, b in self._breakers.items() if b.open}
            if held and now >= self._next_expiry:
                self._next_expiry = now + self.expire_every
                await self._expire(held)
            probes = {e for e in held if not self._breakers[e].probing and self._breakers[e].probe_at <= now}
            if not records and not released and not due_again and limit == 0 and not probes:
                self._wake.clear()
                wait = max(0.0, next_poll - now) if wanted else s.webhook_poll_seconds
                waiting = [b.probe_at - now for b in self._breakers.values() if b.open and not b.probing]
                await self._idle(min([wait, *waiting]))
                continue
            for endpoint_id in probes:
                self._breakers[endpoint_id].probing = True
            # Events handed back (or due again) lie behind the sweep: it starts again from the first id.
            after = 0 if released or due_again else self._sweep_from
            try:
                batch, targets = await asyncio.to_thread(
                    service.record_and_claim, self.db, s, records, released + due_again, limit, held, probes, after
                )
            except Exception:
                # Put them back for the next step (the events stay leased to this worker meanwhile).
                self._records[:0] = records
                self._released[:0] = released
                self._due_again[:0] = due_again
                for endpoint_id in probes:
                    self._breakers[endpoint_id].probing = False
                log.exception("webhook delivery step failed; retrying")
                await self._sleep(s.webhook_poll_seconds)
                continue
            self._in_flight -= len(records) + len(released)
            for endpoint_id in probes - {e.endpoint_id for e in batch}:
                # Nothing of that endpoint due now: the next probe after another delay.
                self._breakers[endpoint_id].probing = False
                self._breakers[endpoint_id].probe_at = time.monotonic() + s.webhook_poll_seconds
            if limit:
                claimed = [e.id for e in batch if e.endpoint_id not in probes]
                # A full claim: the next one goes on from its last id; a short one reached the end: start again.
                self._sweep_from = max(claimed) if len(claimed) >= limit else 0
            if limit or probes:
                self._dispatch(batch, targets, probes)
                if limit and not [e for e in batch if e.endpoint_id not in probes]:
                    next_poll = time.monotonic() + s.webhook_poll_seconds

    def _high(self) -> int:
        """How many claimed events the worker holds at most: the senders times a factor from CLAIM_FACTOR to
        CLAIM_FACTOR_MAX, as many as they send in a quarter of the lease at the recent pace (a queued event must not
        wait until its lease ends, or another worker could send it too)."""
        s = self.settings
        per_sender = s.webhook_lease_seconds / 4 / max(self._latency, 0.001)
        return int(s.webhook_concurrency * min(CLAIM_FACTOR_MAX, max(CLAIM_FACTOR, per_sender)))

    async def _idle(self, seconds: float) -> None:
        """Wait up to ``seconds`` for a sender to finish an attempt, then ``FLUSH_SECONDS`` for more (one batch)."""
        end = time.monotonic() + seconds
        while not self.stop.is_set() and not self._wake.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=min(0.05, left))
            except TimeoutError:
                continue
        await asyncio.sleep(FLUSH_SECONDS)

    def _dispatch(self, batch: list[DueEvent], targets: dict[int, Target], probes: set[int]) -> None:
        """Queue claimed events for the senders: one group per (endpoint, ordering key), its events in order (an
        event of a ``probes`` endpoint is that endpoint's probe: the only one claimed for it)."""
        groups: dict[tuple[int, str], list[DueEvent]] = defaultdict(list)
        for event in batch:
            groups[(event.endpoint_id, event.ordering_key)].append(event)
        self._in_flight += len(batch)
        for (endpoint_id, _), events in groups.items():
            # A key's events go one after another: a few per claim, so the last is sent well within its lease.
            self._released.extend(e.id for e in events[PER_KEY:])
            self._queue.put_nowait((events[:PER_KEY], targets[endpoint_id], time.monotonic(), endpoint_id in probes))

    async def _sender(self) -> None:
        """One of ``webhook_concurrency`` senders: takes a key's events from the queue and sends them in order."""
        while True:
            events, target, claimed, probe = await self._queue.get()
            self._busy += 1
            try:
                await self._deliver_group(events, target, claimed, probe)
            finally:
                self._busy -= 1
                self._wake.set()

    async def _finish(self, senders: list[asyncio.Task[None]]) -> None:
        """On stop: hand queued events back untried, let requests in flight end (within the timeouts; each sender
        stops after its current attempt), record them, hand back what was not tried."""
        while not self._queue.empty():
            events, _, _, _ = self._queue.get_nowait()
            self._released.extend(e.id for e in events)
        grace = self.settings.webhook_connect_timeout + self.settings.webhook_read_timeout + 1
        end = time.monotonic() + grace
        while self._busy and time.monotonic() < end:
            await asyncio.sleep(0.01)
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        try:
            while self._records or self._released:
                records, self._records = self._records[:RECORD_BATCH], self._records[RECORD_BATCH:]
                released, self._released = self._released, []
                await asyncio.to_thread(service.record_batch, self.db, records, released)
        except Exception:
            log.exception("recording the last webhook attempts failed (their events are sent again after the lease)")

    # -- delivering ----------------------------------------------------------------------------------------

    async def _deliver_group(self, events: list[DueEvent], target: Target, claimed: float, probe: bool) -> None:
        """Send one key's events in order; after a failure (retry later), hand the rest back untried. An event whose
        lease could end before its attempt does (it waited too long in the queue), or whose endpoint's breaker
        opened meanwhile (unless it is the probe), goes back untried too."""
        s = self.settings
        breaker = self._breakers[target.id]
        # An attempt's longest time (capped at half the lease, so a short lease still lets fresh events through).
        longest = min(s.webhook_connect_timeout + s.webhook_read_timeout, s.webhook_lease_seconds / 2)
        try:
            for i, event in enumerate(events):
                if time.monotonic() - claimed + longest > s.webhook_lease_seconds or (breaker.open and not probe):
                    self._released.extend(e.id for e in events[i:])
                    return
                try:
                    record = await self._attempt(event, target, probe=probe)
                except asyncio.CancelledError:
                    self._released.extend(e.id for e in events[i:])
                    raise
                self._records.append(record)
                self._wake.set()
                self._after_attempt(target.id, event.id, record.outcome == AttemptOutcome.DELIVERED.value, probe)
                if record.state == OutboxState.PENDING.value or self.stop.is_set():
                    # A failure (the rest wait for its retry) or a stop: the rest go back untried.
                    self._released.extend(e.id for e in events[i + 1 :])
                    return
        finally:
            if probe:
                breaker.probing = False

    def _after_attempt(self, endpoint_id: int, event_id: int, delivered: bool, probe: bool) -> None:
        """Move an endpoint's breaker on after an attempt: a delivery closes it (the events that failed meanwhile are
        due at once); BREAKER_FAILURES failures in a row open it; a failed probe doubles the breaker's delay (up to
        ``webhook_probe_max_seconds``)."""
        s = self.settings
        breaker = self._breakers[endpoint_id]
        if delivered:
            if breaker.open:
                log.info("webhook endpoint %d delivered again: its held events go at full pace", endpoint_id)
                self._due_again.extend(breaker.failed_ids)
                self._wake.set()
            breaker.failures, breaker.open = 0, False
            breaker.failed_ids.clear()
            return
        breaker.failures += 1
        if len(breaker.failed_ids) < BREAKER_REMEMBERED:
            breaker.failed_ids.add(event_id)
        cap = min(s.webhook_probe_max_seconds, s.webhook_retry_max_seconds)
        if probe and breaker.open:
            breaker.delay = min(cap, breaker.delay * 2.0)
        elif breaker.failures >= BREAKER_FAILURES and not breaker.open:
            breaker.open, breaker.delay = True, min(cap, s.webhook_retry_base_seconds)
            self.stats.breaker_opened += 1
            log.warning(
                "webhook endpoint %d failed %d attempts in a row: its events are held, one probes the receiver",
                endpoint_id,
                breaker.failures,
            )
        else:
            return
        breaker.probe_at = time.monotonic() + breaker.delay * (0.5 + self._rng.random())

    def _signer(self, target: Target, now: datetime) -> Signer:
        previous = target.previous_secret
        if previous is not None and (target.previous_secret_until is None or target.previous_secret_until <= now):
            previous = None
        key = (target.id, target.secret, previous)
        signer = self._signers.get(key)
        if signer is None:
            if self._box is None:
                self._box = SecretBox.from_settings(self.settings)
            in_use = [self._box.open(target.secret)]
            if previous is not None:
                in_use.append(self._box.open(previous))
            signer = self._signers[key] = Signer(in_use)
        return signer

    async def _route(self, url: str) -> tuple[str, dict[str, str], str | None]:
        """Where to connect for ``url`` (a checked address), the Host header and the TLS server name."""
        route = self._routes.get(url)
        now = time.monotonic()
        if route is None or route.until < now:
            parsed = parse_url(url, self.settings)
            if parsed.literal is not None:
                addresses = [parsed.literal]
            else:
                loop = asyncio.get_running_loop()
                try:
                    infos = await loop.getaddrinfo(parsed.host, parsed.port, type=2)  # SOCK_STREAM
                except OSError as exc:
                    raise _Unreachable(f"{parsed.host} does not resolve: {exc}") from None
                addresses = addresses_of(list(infos))
            check_addresses(parsed, addresses, self.settings)  # DNS rebinding: checked on every resolution
            route = self._routes[url] = _Route(parsed, addresses, now + RESOLVE_SECONDS)
        parsed = route.parsed
        if parsed.literal is not None:
            return url, {}, None
        server_name = parsed.host if parsed.scheme == "https" else None
        return parsed.with_address(route.addresses[0]), {"Host": parsed.host_header}, server_name

    async def _attempt(self, event: DueEvent, target: Target, *, probe: bool = False) -> AttemptRecord:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        status: int | None = None
        response: str | None = None
        error: str | None = None
        try:
            body = envelope(event.event_type, event.created_at, event.payload)
            signer = self._signer(target, started)
            url, headers, server_name = await self._route(target.url)
            sent_at = datetime.now(UTC)
            headers |= signer.headers(event.webhook_id, sent_at, body)
            headers["Content-Type"] = "application/json"
            headers["User-Agent"] = "sharedhash-webhooks"
            async with self._session.post(
                url, data=body.encode(), headers=headers, allow_redirects=False, server_hostname=server_name
            ) as answer:
                status = answer.status
                first = bytearray()
                while len(first) < RESPONSE_BYTES:
                    part = await answer.content.read(RESPONSE_BYTES - len(first))
                    if not part:
                        break
                    first += part
            response = _text(bytes(first[:RESPONSE_BYTES]))
            if 200 <= status < 300:
                outcome = AttemptOutcome.DELIVERED
            else:
                outcome = AttemptOutcome.FAILED
                error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        except InvalidWebhookUrlError as exc:
            outcome, error = AttemptOutcome.BLOCKED, exc.message
        except TimeoutError as exc:  # aiohttp's connect and read timeouts, and the attempt's total
            outcome, error = AttemptOutcome.TIMEOUT, f"{type(exc).__name__}: no answer within the timeout"
        except (_Unreachable, aiohttp.ClientError, OSError) as exc:
            outcome, error = AttemptOutcome.UNREACHABLE, f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a sealed secret that will not open, a payload that is not JSON...
            log.exception("webhook event %s could not be sent", event.webhook_id)
            outcome, error = AttemptOutcome.FAILED, f"{type(exc).__name__}: {exc}"
        latency_ms = (time.perf_counter() - clock) * 1000.0
        self._latency += (latency_ms / 1000.0 - self._latency) * 0.05
        return self._after(event, started, outcome, latency_ms, status, response, error, probe=probe)

    def _after(
        self,
        event: DueEvent,
        started: datetime,
        outcome: AttemptOutcome,
        latency_ms: float,
        status: int | None,
        response: str | None,
        error: str | None,
        *,
        probe: bool = False,
    ) -> AttemptRecord:
        """The attempt's record: the event delivered, or failed and retried later (its own back-off) or dead."""
        self.stats.attempts += 1
        self.stats.probes += probe
        self.stats.by_outcome[outcome.value] += 1
        retry_at: datetime | None = None
        if outcome is AttemptOutcome.DELIVERED:
            state = OutboxState.DELIVERED.value
            self.stats.delivered += 1
        else:
            self.stats.failed += 1
            delay = retry_plan(self.settings, event.attempts + 1, self._rng)
            if delay is None:
                state = OutboxState.DEAD.value
                self.stats.dead += 1
                log.warning(
                    "webhook event %s is dead after %d attempts: %s", event.webhook_id, event.attempts + 1, error
                )
            else:
                state = OutboxState.PENDING.value
                retry_at = datetime.now(UTC) + timedelta(seconds=delay)
                log.info("webhook event %s failed (%s); retry in %.1f s", event.webhook_id, error, delay)
        return AttemptRecord(
            event_id=event.id,
            endpoint_id=event.endpoint_id,
            org_id=event.org_id,
            started_at=started,
            outcome=outcome.value,
            latency_ms=round(latency_ms, 3),
            status_code=status,
            response=response,
            error=None if error is None else error[:500],
            state=state,
            retry_at=retry_at,
        )


def new_loop() -> asyncio.AbstractEventLoop:
    """The worker's event loop: uvloop's (the server extra pins it; less CPU per request than asyncio's, measured
    in bench/webhooks.py), asyncio's where uvloop is not installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class _Unreachable(Exception):
    """The host did not resolve."""


def _text(raw: bytes) -> str:
    """Bytes of an answer as storable text: UTF-8 with bad bytes replaced, no NUL (PostgreSQL text holds none)."""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
