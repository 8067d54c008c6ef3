"""Click tokens: fresh per answer, unforgeable, and opaque."""

from __future__ import annotations

import secrets

from sharedhash.server.deterrence.tokens import seal, unseal


def test_tokens_round_trip_and_differ_each_time() -> None:
    key = secrets.token_bytes(32)
    tokens = {seal(key, 42) for _ in range(100)}
    assert len(tokens) == 100
    assert {unseal(key, t) for t in tokens} == {42}
    assert all(len(t) <= 64 and t.isascii() for t in tokens)


def test_forged_or_foreign_tokens_are_refused() -> None:
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    token = seal(key, 7)
    assert unseal(other, token) is None
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert unseal(key, flipped) is None
    for junk in ("", "x", "!!!!", "é" * 10, "A" * 38, "A" * 65):
        assert unseal(key, junk) is None
