"""Errors only the HTTP server raises, under the branches of :mod:`sharedhash.errors`."""

from __future__ import annotations

from sharedhash.errors import InvalidInputError, NotFoundError, RateLimitedError


class IndexLoadingError(RateLimitedError):
    """Lookups wait until the in-memory indexes are built from the database (like a 429: retry shortly)."""

    code = "index_loading"
    http_status = 503
    default_hint = "The server is loading its indexes; retry in a few seconds (GET /readyz says when)."


class RequestValidationFailedError(InvalidInputError):
    """The request does not match the API schema (a missing field, a wrong type, a value out of range)."""

    code = "invalid_request"
    http_status = 422
    default_hint = "Compare the request with the schema at /openapi.json; `errors` lists each problem."


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
