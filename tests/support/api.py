"""API test helpers: generated hash values, and lists, entries and lookups through a test hub's HTTP API."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.support.hub import Hub


def pdq(n: int) -> str:
    """A valid PDQ value per ``n``; different ``n`` are ~128 bits apart, as unrelated images are."""
    return hashlib.sha256(f"pdq-{n}".encode()).hexdigest()


def md5(n: int) -> str:
    """A distinct valid md5 value per ``n``."""
    return f"{n:032x}"


def flip(value: str, bits: int) -> str:
    """``value`` with its lowest ``bits`` bits flipped (a PDQ at Hamming distance ``bits``)."""
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


def new_list(hub: Hub, who: str = "owner", **body: Any) -> dict[str, Any]:
    """Create a list and return it."""
    body.setdefault("name", "main")
    r = hub.client.post("/v1/hash-lists", json=body, headers=hub.auth(who))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def add(hub: Hub, list_id: int, *hashes: tuple[str, str], who: str = "owner", **body: Any) -> dict[str, Any]:
    """Add an entry and return it."""
    body["hashes"] = [{"hash_type": t, "value": v} for t, v in hashes]
    r = hub.client.post(f"/v1/hash-lists/{list_id}/entries", json=body, headers=hub.auth(who))
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def lookup(hub: Hub, *hashes: tuple[str, str], who: str = "owner", **body: Any) -> list[dict[str, Any]]:
    """Look hashes up and return the matches."""
    body["hashes"] = [{"hash_type": t, "value": v} for t, v in hashes]
    r = hub.client.post("/v1/lookup", json=body, headers=hub.auth(who))
    assert r.status_code == 200, r.text
    return r.json()["matches"]  # type: ignore[no-any-return]


def assert_error(response: Any, status: int, code: str) -> None:
    """The response is the standard error body with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["hint"], str)
