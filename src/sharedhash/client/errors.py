"""Errors the client raises besides those the hub reports (which come back as their own classes)."""

from __future__ import annotations

from sharedhash.errors import CorruptDataError, FileAccessError


class HubUnreachableError(FileAccessError):
    """The hub could not be reached (refused, timed out, name not resolved)."""

    code = "hub_unreachable"
    http_status = 502
    default_hint = "Check the hub URL (SHAREDHASH_HUB_URL or --url) and that the hub is running."


class UnexpectedResponseError(CorruptDataError):
    """The hub answered with something that is not the sharedhash API (a proxy page, a different service)."""

    code = "unexpected_response"
    http_status = 502
    default_hint = "Check that the URL points at a sharedhash hub, not at a proxy or another service."
