"""The typed hub client over httpx. Errors the hub reports come back as the same sharedhash error classes.

``Client(base_url, api_key, transport=...)`` accepts any httpx transport, so tests can run the client against an
in-process app, and the same code talks to a real hub.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from sharedhash.client.errors import HubUnreachableError, UnexpectedResponseError
from sharedhash.client.models import (
    ApiKey,
    AuditEvent,
    CreatedOrg,
    DeterrenceCheck,
    DeterrenceDay,
    DeterrenceSettings,
    DisputeInboxItem,
    DisputePolicy,
    DisputeResolution,
    Entry,
    EntryAdded,
    EntryDisputes,
    EntryPage,
    Feedback,
    FeedPage,
    HashList,
    ImportResult,
    IssuedKey,
    LookupResult,
    Org,
    OrgSuspension,
    WebhookEndpoint,
    WebhookEndpointSecret,
    WebhookEvent,
    WebhookEventDetail,
    WebhookRedelivered,
)
from sharedhash.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SharedhashError,
)

M = TypeVar("M", bound=BaseModel)
_CHUNK = 64 * 1024
_BY_STATUS: dict[int, type[SharedhashError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: LimitExceededError,
    422: InvalidInputError,
    429: RateLimitedError,
    503: RateLimitedError,
}


def _error_classes() -> dict[str, type[SharedhashError]]:
    import sharedhash.client.errors
    import sharedhash.hashing
    import sharedhash.hub_errors  # noqa: F401  (lightweight: only error classes)

    found: dict[str, type[SharedhashError]] = {}
    pending: list[type[SharedhashError]] = [SharedhashError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def error_from_response(response: httpx.Response) -> SharedhashError:
    """The sharedhash error an error response stands for (same class, code, message and hint)."""
    try:
        body = response.json()["error"]
        code, message, hint = str(body["code"]), str(body["message"]), str(body.get("hint", ""))
    except (ValueError, KeyError, TypeError):
        return UnexpectedResponseError(f"the hub answered HTTP {response.status_code} without a sharedhash error body")
    cls = _error_classes().get(code) or _BY_STATUS.get(response.status_code, SharedhashError)
    details = {k: v for k, v in body.items() if k not in ("code", "message", "hint")}
    error = cls(message, hint=hint, **details)
    if cls.code != code:
        error.code = code  # type: ignore[misc]  # keep the hub's code when this client is older than the hub
    return error


class Client:
    """A client of one hub, authenticated as one org API key."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        headers = {"User-Agent": "sharedhash-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, transport=transport, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing -------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise HubUnreachableError(f"cannot reach the hub at {self.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise UnexpectedResponseError(f"the hub's answer to {method} {path} is not JSON") from None

    def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        try:
            return model.model_validate(self._json(method, path, **kwargs))
        except ValidationError as exc:
            raise UnexpectedResponseError(
                f"the hub's answer to {method} {path} has an unexpected shape: {exc}"
            ) from None

    def _models(self, model: type[M], method: str, path: str, **kwargs: Any) -> list[M]:
        data = self._json(method, path, **kwargs)
        try:
            return [model.model_validate(x) for x in data]
        except (ValidationError, TypeError) as exc:
            raise UnexpectedResponseError(
                f"the hub's answer to {method} {path} has an unexpected shape: {exc}"
            ) from None

    # -- health ---------------------------------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether the hub answers /readyz with 200."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    # -- orgs and keys --------------------------------------------------------------------------------------

    def me(self) -> Org:
        """The org of this client's key."""
        return self._model(Org, "GET", "/v1/orgs/me")

    def orgs(self) -> list[Org]:
        """Every member org."""
        return self._models(Org, "GET", "/v1/orgs")

    def create_org(self, name: str) -> CreatedOrg:
        """Create an org (hub operator only); the answer holds its first admin key."""
        return self._model(CreatedOrg, "POST", "/v1/orgs", json={"name": name})

    def suspend_org(self, org_id: int, reason: str = "") -> OrgSuspension:
        """Suspend an org (hub operator only): its keys stop working, its lists are shared no more."""
        return self._model(OrgSuspension, "POST", f"/v1/orgs/{org_id}/suspension", json={"reason": reason})

    def reinstate_org(self, org_id: int) -> OrgSuspension:
        """End an org's suspension (hub operator only)."""
        return self._model(OrgSuspension, "DELETE", f"/v1/orgs/{org_id}/suspension")

    def keys(self) -> list[ApiKey]:
        """The org's keys."""
        return self._models(ApiKey, "GET", "/v1/keys")

    def create_key(self, scopes: Iterable[str], *, name: str = "", expires_at: datetime | None = None) -> IssuedKey:
        """A new key for the org; its secret is in the answer only."""
        body: dict[str, Any] = {"scopes": list(scopes), "name": name}
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        return self._model(IssuedKey, "POST", "/v1/keys", json=body)

    def revoke_key(self, key_id: int) -> ApiKey:
        """Revoke one of the org's keys."""
        return self._model(ApiKey, "DELETE", f"/v1/keys/{key_id}")

    # -- lists ----------------------------------------------------------------------------------------------

    def lists(self) -> list[HashList]:
        """Every list the org may read."""
        return self._models(HashList, "GET", "/v1/hash-lists")

    def get_list(self, list_id: int) -> HashList:
        """One list."""
        return self._model(HashList, "GET", f"/v1/hash-lists/{list_id}")

    def create_list(
        self,
        name: str,
        *,
        description: str = "",
        visibility: str = "private",
        pdq_threshold: int = 31,
        shares: Iterable[tuple[str, str]] = (),
        video_listed_percent: int = 80,
        video_query_percent: int = 0,
    ) -> HashList:
        """A new list owned by the org; ``shares`` are ``(org name, "read" | "contribute")``; the video match rule
        is the share (%) of the listed video's and of the query's frames that must match."""
        body = {
            "name": name,
            "description": description,
            "visibility": visibility,
            "pdq_threshold": pdq_threshold,
            "video_listed_percent": video_listed_percent,
            "video_query_percent": video_query_percent,
            "shares": [{"org": o, "access": a} for o, a in shares],
        }
        return self._model(HashList, "POST", "/v1/hash-lists", json=body)

    def update_list(self, list_id: int, **changes: Any) -> HashList:
        """Change a list (name, description, visibility, pdq_threshold, video_listed_percent, video_query_percent,
        shares as ``[(org, access)]``)."""
        if "shares" in changes and changes["shares"] is not None:
            changes["shares"] = [{"org": o, "access": a} for o, a in changes["shares"]]
        return self._model(HashList, "PATCH", f"/v1/hash-lists/{list_id}", json=changes)

    def delete_list(self, list_id: int) -> HashList:
        """Delete a list the org owns (every entry tombstoned through the feed)."""
        return self._model(HashList, "DELETE", f"/v1/hash-lists/{list_id}")

    def entries(self, list_id: int, *, after: int = 0, limit: int = 100) -> EntryPage:
        """A page of a list's entries."""
        return self._model(
            EntryPage, "GET", f"/v1/hash-lists/{list_id}/entries", params={"after": after, "limit": limit}
        )

    def iter_entries(self, list_id: int, *, page: int = 1000) -> Iterator[Entry]:
        """Every entry of a list, page by page."""
        after = 0
        while True:
            got = self.entries(list_id, after=after, limit=page)
            yield from got.entries
            if got.next_after is None:
                return
            after = got.next_after

    def feed(self, list_id: int, *, after: str | None = None, limit: int = 1000) -> FeedPage:
        """A page of a list's change feed."""
        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        return self._model(FeedPage, "GET", f"/v1/hash-lists/{list_id}/feed", params=params)

    def feed_json(self, list_id: int, *, after: str | None = None, limit: int = 1000) -> dict[str, Any]:
        """:meth:`feed` as the plain decoded JSON (sync reads millions of changes; it checks their shape itself)."""
        import orjson

        params: dict[str, Any] = {"limit": limit}
        if after:
            params["after"] = after
        response = self._send("GET", f"/v1/hash-lists/{list_id}/feed", params=params)
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise UnexpectedResponseError("the hub's feed page is not JSON") from None
        if not isinstance(data, dict):
            raise UnexpectedResponseError("the hub's feed page is not a JSON object")
        return data

    def import_entries(
        self, list_id: int, source: Path | bytes | Iterable[bytes], *, format: str = "jsonl"
    ) -> ImportResult:
        """Bulk-add entries from a file, bytes or an iterable of byte chunks (streamed). Bad lines: nothing written."""
        content: bytes | Iterator[bytes]
        if isinstance(source, Path):
            content = _read_chunks(source)
        elif isinstance(source, bytes):
            content = source
        else:
            content = iter(source)
        response = self._http_import(list_id, content, format)
        try:
            return ImportResult.model_validate(response.json())
        except (ValueError, ValidationError):
            raise UnexpectedResponseError("the hub's answer to an import has an unexpected shape") from None

    def _http_import(self, list_id: int, content: bytes | Iterator[bytes], format: str) -> httpx.Response:
        media = "text/csv" if format == "csv" else "application/x-ndjson"
        try:
            response = self._http.post(
                f"/v1/hash-lists/{list_id}/import",
                params={"format": format},
                content=content,
                headers={"Content-Type": media},
            )
        except httpx.TransportError as exc:
            raise HubUnreachableError(f"cannot reach the hub at {self.base_url}: {exc}") from None
        if response.status_code >= 400 and not _is_import_report(response):
            raise error_from_response(response)
        return response

    def export(self, list_id: int, *, format: str = "jsonl") -> Iterator[str]:
        """A list's entries as JSON lines or CSV text, streamed line by line."""
        try:
            with self._http.stream("GET", f"/v1/hash-lists/{list_id}/export", params={"format": format}) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                yield from response.iter_lines()
        except httpx.TransportError as exc:
            raise HubUnreachableError(f"cannot reach the hub at {self.base_url}: {exc}") from None

    # -- entries --------------------------------------------------------------------------------------------

    def add_entry(
        self,
        list_id: int,
        hashes: Iterable[tuple[str, str] | tuple[str, str, int | None]],
        *,
        classification: str | None = None,
        labels: Iterable[str] = (),
        external_id: str | None = None,
    ) -> EntryAdded:
        """Add an entry of ``(type, value[, quality])`` hashes; an already-present hash returns the existing entry."""
        body: dict[str, Any] = {
            "hashes": [
                {"hash_type": h[0], "value": h[1], **({"quality": h[2]} if len(h) > 2 and h[2] is not None else {})}
                for h in hashes
            ],
            "classification": classification,
            "labels": list(labels),
            "external_id": external_id,
        }
        return self._model(EntryAdded, "POST", f"/v1/hash-lists/{list_id}/entries", json=body)

    def get_entry(self, entry_id: int) -> Entry:
        """One entry, with feedback counts."""
        return self._model(Entry, "GET", f"/v1/entries/{entry_id}")

    def update_entry(self, entry_id: int, **changes: Any) -> Entry:
        """Change an entry (classification, clear_classification, labels, external_id, add_hashes)."""
        return self._model(Entry, "PATCH", f"/v1/entries/{entry_id}", json=changes)

    def remove_entry(self, entry_id: int) -> None:
        """Tombstone an entry."""
        self._send("DELETE", f"/v1/entries/{entry_id}")

    def remove_hash(self, entry_id: int, hash_type: str, value: str) -> Entry | None:
        """Tombstone one hash of an entry; None when that removed the entry's last hash (and so the entry)."""
        response = self._send("DELETE", f"/v1/entries/{entry_id}/hashes/{hash_type}/{value}")
        return None if response.status_code == 204 else Entry.model_validate(response.json())

    def give_feedback(self, entry_id: int, verdict: str, reason: str, note: str = "") -> Feedback:
        """Confirm or dispute an entry."""
        body = {"verdict": verdict, "reason": reason, "note": note}
        return self._model(Feedback, "PUT", f"/v1/entries/{entry_id}/feedback", json=body)

    def withdraw_feedback(self, entry_id: int) -> None:
        """Withdraw the org's verdict on an entry."""
        self._send("DELETE", f"/v1/entries/{entry_id}/feedback")

    def disputes(self, *, list_id: int | None = None, limit: int = 100) -> list[DisputeInboxItem]:
        """The inbox: entries of the org's lists with open disputes."""
        params: dict[str, Any] = {"limit": limit}
        if list_id is not None:
            params["list_id"] = list_id
        return self._models(DisputeInboxItem, "GET", "/v1/disputes", params=params)

    def entry_disputes(self, entry_id: int) -> EntryDisputes:
        """Every verdict on an entry of the org's list (the org, reason and note of each), and its resolutions."""
        return self._model(EntryDisputes, "GET", f"/v1/entries/{entry_id}/disputes")

    def resolve_dispute(self, entry_id: int, action: str, *, reply: str = "", reason: str = "") -> DisputeResolution:
        """Keep (with a reply) or remove (with a reason code) a disputed entry."""
        body = {"action": action, "reply": reply, "reason": reason}
        return self._model(DisputeResolution, "POST", f"/v1/entries/{entry_id}/resolution", json=body)

    def dispute_policy(self, list_id: int) -> DisputePolicy:
        """A list's dispute policy."""
        return self._model(DisputePolicy, "GET", f"/v1/hash-lists/{list_id}/dispute-policy")

    def set_dispute_policy(self, list_id: int, quarantine_after: int | None) -> DisputePolicy:
        """Quarantine entries disputed by this many distinct orgs (None: never automatically)."""
        body = {"quarantine_after": quarantine_after}
        return self._model(DisputePolicy, "PUT", f"/v1/hash-lists/{list_id}/dispute-policy", json=body)

    # -- action rules ---------------------------------------------------------------------------------------

    def rules(self) -> list[dict[str, Any]]:
        """The org's action rules in the order they run."""
        found: list[dict[str, Any]] = self._json("GET", "/v1/rules")
        return found

    def add_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Add an action rule (the body of ``POST /v1/rules``); the stored rule."""
        added: dict[str, Any] = self._json("POST", "/v1/rules", json=rule)
        return added

    def remove_rule(self, rule_id: int) -> dict[str, Any]:
        """Remove one of the org's rules; the removed rule."""
        removed: dict[str, Any] = self._json("DELETE", f"/v1/rules/{rule_id}")
        return removed

    def test_rules(self, match: dict[str, Any]) -> dict[str, Any]:
        """Dry-run the org's rules on a described match: which rule fired and why."""
        found: dict[str, Any] = self._json("POST", "/v1/rules/test", json={"match": match})
        return found

    # -- lookup and audit -----------------------------------------------------------------------------------

    def lookup(self, hashes: Iterable[tuple[str, str]], *, max_distance: int | None = None) -> LookupResult:
        """Every match of ``(type, value)`` hashes among the lists the org may read."""
        body: dict[str, Any] = {"hashes": [{"hash_type": t, "value": v} for t, v in hashes]}
        if max_distance is not None:
            body["max_distance"] = max_distance
        return self._model(LookupResult, "POST", "/v1/lookup", json=body)

    def lookup_file(
        self, source: Path | bytes, *, dihedral: bool = False, max_distance: int | None = None
    ) -> LookupResult:
        """Upload a file (an image, a video or any file) to be hashed on the hub and looked up; a file is streamed
        from disk, not read into memory."""
        form: dict[str, str] = {"dihedral": "true" if dihedral else "false"}
        if max_distance is not None:
            form["max_distance"] = str(max_distance)
        if isinstance(source, Path):
            with source.open("rb") as stream:
                files = {"file": (source.name, stream)}
                return self._model(LookupResult, "POST", "/v1/lookup/file", files=files, data=form)
        return self._model(LookupResult, "POST", "/v1/lookup/file", files={"file": ("upload", source)}, data=form)

    def audit(self, *, before: int | None = None, limit: int = 100) -> list[AuditEvent]:
        """The org's audit events, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self._models(AuditEvent, "GET", "/v1/audit", params=params)

    # -- deterrence -----------------------------------------------------------------------------------------

    def deterrence_check(
        self,
        query: str,
        *,
        locale: str | None = None,
        country: str | None = None,
        explain: bool = False,
        public_org: str | None = None,
    ) -> DeterrenceCheck:
        """Check a search query (``explain`` needs an admin key); ``public_org`` uses that org's public check."""
        body: dict[str, Any] = {"query": query, "locale": locale, "country": country}
        if explain:
            body["explain"] = True
        path = f"/v1/orgs/{quote(public_org, safe='')}/deterrence/check" if public_org else "/v1/deterrence/check"
        return self._model(DeterrenceCheck, "POST", path, json=body)

    def deterrence_check_html(self, query: str, *, locale: str | None = None, country: str | None = None) -> str:
        """The deterrence message as an HTML snippet (empty when the query is not deterred)."""
        body = {"query": query, "locale": locale, "country": country}
        return self._send("POST", "/v1/deterrence/check.html", json=body).text

    def deterrence_settings(self) -> DeterrenceSettings:
        """The org's deterrence settings (admin key)."""
        return self._model(DeterrenceSettings, "GET", "/v1/deterrence/settings")

    def update_deterrence_settings(self, **changes: Any) -> DeterrenceSettings:
        """Change ``public``, ``public_per_minute`` or ``catalog`` (``catalog=None`` restores the defaults)."""
        return self._model(DeterrenceSettings, "PUT", "/v1/deterrence/settings", json=changes)

    def deterrence_stats(self, *, days: int = 30) -> list[DeterrenceDay]:
        """Counts per UTC day and rule: checks, deterrence responses, help-link clicks (admin key)."""
        data = self._json("GET", "/v1/deterrence/stats", params={"days": days})
        try:
            return [DeterrenceDay.model_validate(d) for d in data["days"]]
        except (ValidationError, TypeError, KeyError) as exc:
            raise UnexpectedResponseError(f"the hub's deterrence stats have an unexpected shape: {exc}") from None

    # -- webhooks -------------------------------------------------------------------------------------------

    def webhooks(self) -> list[WebhookEndpoint]:
        """The org's webhook endpoints."""
        return self._models(WebhookEndpoint, "GET", "/v1/webhooks")

    def add_webhook(self, name: str, url: str) -> WebhookEndpointSecret:
        """A new endpoint (admin key); its signing secret is in the answer only."""
        return self._model(WebhookEndpointSecret, "POST", "/v1/webhooks", json={"name": name, "url": url})

    def get_webhook(self, endpoint_id: int) -> WebhookEndpoint:
        """One endpoint with its event counts."""
        return self._model(WebhookEndpoint, "GET", f"/v1/webhooks/{endpoint_id}")

    def remove_webhook(self, endpoint_id: int) -> WebhookEndpoint:
        """Remove an endpoint (its pending events are marked dead)."""
        return self._model(WebhookEndpoint, "DELETE", f"/v1/webhooks/{endpoint_id}")

    def pause_webhook(self, endpoint_id: int, paused: bool = True) -> WebhookEndpoint:
        """Pause (hold its events) or resume an endpoint."""
        action = "pause" if paused else "resume"
        return self._model(WebhookEndpoint, "POST", f"/v1/webhooks/{endpoint_id}/{action}")

    def rotate_webhook_secret(self, endpoint_id: int, overlap_seconds: int = 86400) -> WebhookEndpointSecret:
        """A new signing secret; both are used for ``overlap_seconds``."""
        body = {"overlap_seconds": overlap_seconds}
        return self._model(WebhookEndpointSecret, "POST", f"/v1/webhooks/{endpoint_id}/rotate-secret", json=body)

    def webhook_events(
        self, endpoint_id: int, *, state: str | None = None, before: int | None = None, limit: int = 100
    ) -> list[WebhookEvent]:
        """The endpoint's events (deliveries), newest first."""
        params: dict[str, Any] = {"limit": limit}
        if state is not None:
            params["state"] = state
        if before is not None:
            params["before"] = before
        return self._models(WebhookEvent, "GET", f"/v1/webhooks/{endpoint_id}/events", params=params)

    def webhook_event(self, endpoint_id: int, event_id: int) -> WebhookEventDetail:
        """One event with its payload and every attempt."""
        return self._model(WebhookEventDetail, "GET", f"/v1/webhooks/{endpoint_id}/events/{event_id}")

    def redeliver_webhook_event(self, endpoint_id: int, event_id: int) -> WebhookEvent:
        """Send a delivered or dead event again (same webhook-id)."""
        return self._model(WebhookEvent, "POST", f"/v1/webhooks/{endpoint_id}/events/{event_id}/redeliver")

    def redeliver_dead_webhook_events(self, endpoint_id: int) -> int:
        """Send every dead event of the endpoint again; how many."""
        return self._model(WebhookRedelivered, "POST", f"/v1/webhooks/{endpoint_id}/redeliver").redelivered


def _read_chunks(path: Path) -> Iterator[bytes]:
    from sharedhash.hashing.files import open_for_hashing

    with open_for_hashing(path) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def _is_import_report(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return False
    return isinstance(body, dict) and "committed" in body
