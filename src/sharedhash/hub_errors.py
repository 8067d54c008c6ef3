"""Errors the hub answers with (raised in store/ and server/), under the branches of :mod:`sharedhash.errors`.

They sit at the bottom layer, beside the error tree, so that the client turns every error body back into its class
without importing the server or the store."""

from __future__ import annotations

from sharedhash.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)


class InvalidCursorError(InvalidInputError):
    """A feed cursor that this hub did not hand out for this list."""

    code = "invalid_cursor"
    default_hint = "Pass a `next_cursor` from an earlier page of the same list, or omit it to start at the beginning."


class InvalidClassificationError(InvalidInputError):
    """A classification outside A1, A2, B1, B2."""

    code = "invalid_classification"
    default_hint = "Use A1, A2, B1, B2, or leave the classification empty."


class LowQualityHashError(InvalidInputError):
    """A PDQ hash whose stated quality is under the contribution minimum."""

    code = "low_quality_hash"
    default_hint = "PDQ hashes of quality under 50 match unreliably; hash a better copy of the image."


class LowQualityVideoHashError(LowQualityHashError):
    """A video hash (vpdq) none of whose frames reaches the contribution minimum quality."""

    code = "low_quality_video_hash"
    default_hint = "No frame of this video hash has quality 50 or more, so none can match; hash a better copy."


class HashValueTooLongError(LimitExceededError):
    """A hash value longer than its hash type allows (its ``max_value_chars`` trait)."""

    code = "hash_value_too_long"
    default_hint = "Check the value; video hashes (vpdq) may be long, other types are short fixed formats."


class DuplicateHashError(InvalidInputError):
    """The same hash twice in one entry or one request."""

    code = "duplicate_hash"
    default_hint = "Give each hash once."


class ReadOnlyShareError(PermissionDeniedError):
    """The list is another org's, readable by the caller but not open to its contributions: no key can change it."""

    code = "read_only_share"
    default_hint = (
        "Only the list's owner org changes it (or orgs it shares the list with for contributing). To flag an entry, "
        "give feedback instead: `sharedhash entry feedback ID dispute --reason ...`."
    )


class NotListOwnerError(PermissionDeniedError):
    """The list is readable by the caller but owned by another org: only the owner changes its settings."""

    code = "not_list_owner"
    default_hint = "Only the list's owner org changes its settings or shares, or deletes it; no key scope changes that."


class NotEntryOwnerError(PermissionDeniedError):
    """The entry was contributed by another org to a list the caller does not own."""

    code = "not_entry_owner"
    default_hint = (
        "Only the org that contributed an entry and the list's owner org change or remove it. To flag it, give "
        "feedback instead: `sharedhash entry feedback ID dispute --reason ...`."
    )


class KeyRevokedError(AuthenticationError):
    """The API key was revoked."""

    code = "key_revoked"
    default_hint = "Ask an org admin for a new key."


class OrgSuspendedError(AuthenticationError):
    """The key's org is suspended by the hub's operator: none of its keys work until it is reinstated."""

    code = "org_suspended"
    http_status = 403
    default_hint = "Ask the hub's operator; a node that mirrors this hub with the org's key purges its mirrors."


class AccessLostError(PermissionDeniedError):
    """The caller's org read this list's feed before, and may no longer: a share was removed, the visibility
    narrowed, the list deleted, or its owner suspended (``reason`` says which)."""

    code = "access_lost"
    http_status = 410
    default_hint = (
        "A node purges its mirror of the list when told this (`sharedhash sync subscriptions` shows it as "
        "access_lost); ask the list's owner to share it again."
    )


class KeyExpiredError(AuthenticationError):
    """The API key is past its expiry time."""

    code = "key_expired"
    default_hint = "Ask an org admin for a new key."


class NameTakenError(ConflictError):
    """An org or hash list with this name already exists."""

    code = "name_taken"
    default_hint = "Pick another name."


class SubscriptionExistsError(ConflictError):
    """The org already subscribes to this hub."""

    code = "subscription_exists"
    default_hint = (
        "One subscription per hub and org: `sharedhash sync subscriptions` lists them, "
        "`sharedhash sync unsubscribe ID` removes one."
    )


class DuplicateExternalIdError(ConflictError):
    """Another active entry of the list has this external id."""

    code = "duplicate_external_id"
    default_hint = "External ids are unique within a list; update the existing entry instead."


class ReadOnlyListError(ConflictError):
    """A write to a mirrored list, which only sync may change."""

    code = "read_only_list"
    default_hint = "Mirrored lists follow their source hub; contribute to the source list instead."


class IndexLoadingError(RateLimitedError):
    """Lookups wait until the in-memory indexes are built from the database (like a 429: retry shortly)."""

    code = "index_loading"
    http_status = 503
    default_hint = "The server is loading its indexes; retry in a few seconds (GET /readyz says when)."


class BusyError(RateLimitedError):
    """The hub is at a configured capacity (e.g. its decode memory budget is taken by other uploads): retry."""

    code = "busy"
    http_status = 503
    default_hint = "The hub is busy with other uploads; retry after the Retry-After header's seconds."


class RequestTimeoutError(InvalidInputError):
    """The client sent its request body too slowly (nothing for ``body_idle_timeout_seconds``)."""

    code = "request_timeout"
    http_status = 408
    default_hint = "Send the body without long pauses; retry on a better connection."


class RequestValidationFailedError(InvalidInputError):
    """The request does not match the API schema (a missing field, a wrong type, a value out of range)."""

    code = "invalid_request"
    http_status = 422
    default_hint = "Compare the request with the schema at /openapi.json; `errors` lists each problem."


class InvalidTextError(RequestValidationFailedError):
    """Text the hub may not store or echo: a lone UTF-16 surrogate, a NUL character, text not in Unicode NFC, or
    a parameter over its length limit."""

    code = "invalid_text"
    default_hint = "Send valid Unicode text in normalisation form NFC, without NUL characters."


class DuplicateAuthorizationError(InvalidInputError):
    """A request with more than one ``Authorization`` header (which one counts would depend on who reads it)."""

    code = "duplicate_authorization"
    default_hint = "Send exactly one `Authorization: Bearer <key>` header."


class MethodNotAllowedError(InvalidInputError):
    """The path exists but not with this HTTP method."""

    code = "method_not_allowed"
    http_status = 405
    default_hint = "Check the method against the API documentation at /docs."


class RouteNotFoundError(NotFoundError):
    """No API route has this path."""

    code = "route_not_found"
    default_hint = "Check the path against the API documentation at /docs; routes start with /v1/."


class InvalidCheckRequestError(InvalidInputError):
    """A deterrence check body that is not a JSON object with a string ``query``."""

    code = "invalid_check_request"
    default_hint = 'Send a JSON object such as {"query": "...", "locale": "en-GB", "country": "GB"}.'


class InvalidWebhookUrlError(InvalidInputError):
    """A webhook URL the node will not send to: not https, malformed, or on an address the settings do not allow."""

    code = "invalid_webhook_url"
    default_hint = (
        "Give an https URL on a public address. Loopback and private addresses are refused unless the node allows "
        "them (SHAREDHASH_WEBHOOK_ALLOW_LOOPBACK, SHAREDHASH_WEBHOOK_ALLOW_PRIVATE)."
    )


class EventPendingError(ConflictError):
    """A redelivery of an event that is still waiting to be delivered."""

    code = "event_pending"
    default_hint = "The event is still pending: the worker delivers it on its own; redeliver delivered or dead events."
