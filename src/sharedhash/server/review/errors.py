"""Errors of the review queue and its media proxy (under the branches of :mod:`sharedhash.errors`)."""

from __future__ import annotations

from sharedhash.errors import ConflictError, InvalidInputError, PermissionDeniedError, RateLimitedError, SharedhashError


class ItemClaimedError(ConflictError):
    """Another person holds the item's claim."""

    code = "item_claimed"
    default_hint = "Take the next item; a claim is released after a period of inactivity."


class ItemDecidedError(ConflictError):
    """The item was decided already (a lead may revert the decision)."""

    code = "item_decided"
    default_hint = "Reload the queue; ask a lead to revert the decision if it was wrong."


class ItemNotDecidedError(ConflictError):
    """Only a decided item can be reverted."""

    code = "item_not_decided"
    default_hint = "The item is still open: decide it instead."


class InvalidDecisionError(InvalidInputError):
    """A decision other than confirmed (with a classification), false_positive or escalated."""

    code = "invalid_decision"
    default_hint = "Decisions: confirmed with A1, A2, B1 or B2; false_positive; escalated."


class MediaHostNotAllowedError(PermissionDeniedError):
    """The media URL's host is not on the org's allow-list."""

    code = "media_host_not_allowed"
    default_hint = "An admin adds the platform's media host to the org's review settings."


class MediaPrivateAddressError(PermissionDeniedError):
    """The media URL's host resolves to a private, loopback or otherwise non-public address."""

    code = "media_private_address"
    default_hint = "The media proxy fetches only from public addresses."


class MediaUnavailableError(SharedhashError):
    """The platform's media URL could not be fetched (network error, redirect, error status, wrong type, too big)."""

    code = "media_unavailable"
    http_status = 502
    default_hint = "Check the media URL on the platform; the proxy follows no redirects."


class ExposureCapError(RateLimitedError):
    """The person reached their daily cap of full-size media views."""

    code = "exposure_cap_reached"
    default_hint = "Take a break: the cap resets at midnight UTC (a lead or admin can change it)."
