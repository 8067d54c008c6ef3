"""Deterrence test helpers: placeholder rules (invented words only), hash bodies, rule lists on a test hub."""

from __future__ import annotations

from typing import Any

from tests.support.hub import Hub

ZORBLAX = "term zorblax severity=high category=placeholder"


NEAR = "near quuxvid frobnitz within=2"


ALLOW = 'allow "zorblax museum"'


def hash_json(hash_type: str, value: str) -> dict[str, str]:
    """One hash as request bodies carry it (the one place that names the JSON keys)."""
    return {"hash_type": hash_type, "value": value}


def settle(hub: Hub) -> None:
    """Run one round of the server's rule watcher now, so the next check sees every committed change (the
    watcher itself runs every ``deterrence_refresh_seconds``; the prompt-change test relies on it instead)."""
    hub.client.app.state.deterrence.refresh()  # type: ignore[attr-defined]


def add_rules(hub: Hub, list_id: int, *rules: str, who: str = "owner", wait: bool = True) -> list[dict[str, Any]]:
    """Add each rule as an entry with one ``term`` hash; return the entries."""
    out = []
    for rule in rules:
        body = {"hashes": [hash_json("term", rule)]}
        r = hub.client.post(f"/v1/hash-lists/{list_id}/entries", json=body, headers=hub.auth(who))
        assert r.status_code == 201, r.text
        out.append(r.json())
    if wait:
        settle(hub)
    return out


# A small benign vocabulary, standing in for the dictionaries the benchmark uses.
BENIGN_WORDS = (
    "the a of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use an each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number no "
    "way could people my than first water been call who oil its now find long down day did get come made may part "
    "video free new best watch online pics download full museum garden recipe weather train ticket holiday music "
    "zebra zone global brass blanket bolt plimsoll glimmer wood xylophone quick quiz frozen robin wiggle nitrogen"
).split()
