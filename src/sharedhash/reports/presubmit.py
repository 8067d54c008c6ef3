"""The pre-submit webhook: before a report is queued, sharedhash asks the platform for what it knows of the
uploader (screen name, emails, IP capture events...). Requests are signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``
with the secret ``whsec_<base64>``), so the platform can check them with any Standard Webhooks library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx

from sharedhash.errors import SharedhashError

#: Seconds the platform has to answer.
TIMEOUT_SECONDS = 10.0
#: The largest answer read.
MAX_ANSWER_BYTES = 1024 * 1024
PREFIX = "whsec_"


class PreSubmitHookError(SharedhashError):
    """The platform's pre-submit webhook did not answer with the uploader's details."""

    code = "report_presubmit_failed"
    http_status = 502
    default_hint = (
        "Fix the webhook (it must answer 200 with a JSON object of reported-person fields), or remove "
        "`pre_submit_url` from the report settings to submit with what the draft holds."
    )


def new_secret() -> str:
    """A fresh signing secret (shown to the org once)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for ``body``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def ask(url: str, secret: str, payload: dict[str, Any], *, transport: httpx.BaseTransport | None = None) -> Any:
    """POST ``payload`` signed to ``url``; the JSON answer (not yet validated)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    message_id = "msg_" + secrets.token_hex(12)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise PreSubmitHookError(f"the pre-submit webhook could not be reached: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise PreSubmitHookError(f"the pre-submit webhook answered HTTP {response.status_code}")
    if len(response.content) > MAX_ANSWER_BYTES:
        raise PreSubmitHookError(f"the pre-submit webhook's answer is over {MAX_ANSWER_BYTES} bytes")
    try:
        return response.json()
    except ValueError:
        raise PreSubmitHookError("the pre-submit webhook's answer is not JSON") from None
