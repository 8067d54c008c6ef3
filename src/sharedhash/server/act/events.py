"""The webhook events of matches: their payload (Standard Webhooks ``{"type", "timestamp", "data"}``), described by
the JSON Schema shipped beside this module (``match_event.schema.json``; docs/act.md links it).

A payload names the check, the match, the list and entry (ids, name, classification, labels), the distance, the
rule and the content metadata the platform gave. It carries no hash value at all: neither the content's (the
platform has them) nor the list entry's.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from sharedhash.store.models import utcnow

SCHEMA_FILE = "match_event.schema.json"


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def match_event(event_type: str, *, check: dict[str, Any], match: dict[str, Any], actions: list[str]) -> dict[str, Any]:
    """The payload of one match event. ``check`` has the check's columns (id, content metadata, created_at);
    ``match`` the match's (id, list, entry, hash type, distance, rule, retroactive, created_at)."""
    return {
        "type": event_type,
        "timestamp": _iso(utcnow()),
        "data": {
            "check_id": check["id"],
            "match_id": match["id"],
            "checked_at": _iso(check["created_at"]),
            "matched_at": _iso(match["created_at"]),
            "retroactive": match["retroactive"],
            "content": {
                "content_id": check["content_id"],
                "content_type": check["content_type"],
                "uploader_id": check["uploader_id"],
                "uploaded_at": _iso(check["uploaded_at"]),
                "url": check["url"],
                "labels": list(check["labels"]),
            },
            "list": {"id": match["list_id"], "name": match["details"]["list_name"]},
            "entry": {
                "id": match["entry_id"],
                "classification": match["details"]["classification"],
                "labels": list(match["details"]["labels"]),
            },
            "hash_type": match["hash_type"],
            "distance": match["distance"],
            "rule": match["rule"],
            "actions": actions,
        },
    }


@cache
def match_event_schema() -> dict[str, Any]:
    """The JSON Schema of a match event's payload."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
