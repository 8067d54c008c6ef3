"""Standard Webhooks signing with the maintained ``standardwebhooks`` library (never by hand): secrets are
``whsec_`` + base64 of 32 random bytes, signatures ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``; during a
secret rotation an event carries both signatures, space-separated, so receivers on either secret verify it."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret (shown to the org once, stored sealed)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def envelope(event_type: str, created_at: datetime, payload: dict[str, Any]) -> str:
    """The body of an event, as the Standard Webhooks specification suggests: ``type``, ``timestamp`` (when the
    event was written, ISO 8601 UTC) and ``data`` (the payload its writer gave), compact JSON."""
    body = {"type": event_type, "timestamp": created_at.isoformat().replace("+00:00", "Z"), "data": payload}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class Signer:
    """Signs with one or more secrets (the current one first)."""

    def __init__(self, secrets_in_use: list[str]) -> None:
        self._hooks = [Webhook(s) for s in secrets_in_use]

    def headers(self, webhook_id: str, when: datetime, body: str) -> dict[str, str]:
        """The three Standard Webhooks headers of one attempt sent at ``when``."""
        signatures = " ".join(hook.sign(msg_id=webhook_id, timestamp=when, data=body) for hook in self._hooks)
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signatures,
        }
