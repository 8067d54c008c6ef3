"""What the deterrence check endpoints and their fast path (:mod:`sharedhash.server.deterrence.fast`) share: how
a check body is read, how an answer is shaped (JSON or an HTML snippet), and how public checks are limited."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse

from sharedhash.deterrence.explain import Explanation
from sharedhash.errors import NotFoundError, RateLimitedError
from sharedhash.hub_errors import InvalidCheckRequestError
from sharedhash.limits import text_problem
from sharedhash.server.deterrence.schemas import CheckIn
from sharedhash.server.deterrence.service import CheckAnswer, DeterrenceService, resource_dict

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def parse_check(raw: bytes) -> CheckIn:
    """A check's body. Parsed here rather than by FastAPI, so that undecodable bytes and raw control characters
    in the query still get an answer (noted, and dropped before matching) instead of a JSON decode error."""
    try:
        body = json.loads(raw.decode("utf-8", "surrogateescape"), strict=False)
    except ValueError:
        raise InvalidCheckRequestError("the body is not JSON") from None
    except RecursionError:  # nested deeper than the parser can go: no check body is nested at all
        raise InvalidCheckRequestError("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidCheckRequestError("the body must be a JSON object")
    query = body.get("query")
    if not isinstance(query, str):
        raise InvalidCheckRequestError('"query" must be a string (it may be empty)')
    fields: dict[str, Any] = {"query": query}
    for name, limit in (("locale", 35), ("country", 8)):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit or text_problem(value)):
            raise InvalidCheckRequestError(f'"{name}" must be a string of at most {limit} characters')
        fields[name] = value
    explain = body.get("explain", False)
    if not isinstance(explain, bool):
        raise InvalidCheckRequestError('"explain" must be true or false')
    fields["explain"] = explain
    return CheckIn.model_construct(**fields)


def answer_json(answer: CheckAnswer, message: Any, explain: bool, steps: Explanation | None = None) -> JSONResponse:
    """A check's JSON answer; ``steps`` (explain mode) adds each reading's normalisation steps and near misses."""
    out: dict[str, Any] = {
        "deter": answer.deter,
        "message": (
            {"language": message.language, "title": message.title, **message.parts} if message is not None else None
        ),
        "resources": [resource_dict(r) for r in message.resources] if message is not None else [],
        "notes": [n.value for n in answer.result.notes],
    }
    if explain:
        out["explain"] = [
            {"rule_id": m.rule.rule_id, "rule": m.rule.to_line(), "how": m.how.value, "explanation": m.explain()}
            for m in answer.result.matches
        ]
    if steps is not None:
        out["readings"] = [r.to_dict() for r in steps.readings]
        out["near_misses"] = [m.to_dict() for m in steps.near_misses]
    return JSONResponse(out, headers=NO_STORE)


def answer_html(message: Any) -> HTMLResponse:
    """A check's HTML snippet answer."""
    # Not deterred: an empty snippet, so a page can insert the answer as it is.
    html = message.to_html() if message is not None else ""
    return HTMLResponse(html, headers=NO_STORE)


def no_public_check() -> NotFoundError:
    """The one answer for a public check of a name that has none: no such org, or public mode off (alike)."""
    return NotFoundError("no public deterrence check for this org", hint="The org's admin turns public mode on.")


def public_allowed(service: DeterrenceService, found: tuple[int, Any] | None, address: str | None) -> int:
    """The org id of a public check, once public mode and the rate limits allow it (else 404 or 429)."""
    if found is None or not found[1].public:
        raise no_public_check()
    org_id, settings = found
    wait = service.limiter.check(org_id, settings.public_per_minute, address)
    if wait:
        raise RateLimitedError(f"too many checks; retry in {wait} s", retry_after=wait)
    return int(org_id)


def rate_limited(exc: RateLimitedError) -> JSONResponse:
    """The 429 answer, with ``Retry-After``."""
    wait = int(exc.details.get("retry_after", 1))
    return JSONResponse({"error": exc.to_dict()}, status_code=429, headers={"Retry-After": str(wait)})
