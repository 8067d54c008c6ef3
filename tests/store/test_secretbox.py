"""Subscription API keys at rest: encrypted with a key kept outside the database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from sharedhash.errors import LimitExceededError
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.mirror import add_subscription
from sharedhash.store.models import Subscription
from sharedhash.store.secretbox import KEY_FILE, SecretBox, SecretKeyError, is_sealed
from tests.support.store import make_org

TOKEN = "shk_0123456789abcdef_zorblaxquuxvidplimmerbolt9zorblaxquuxvidplimmer"


def test_the_key_file_is_made_private_and_values_round_trip(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    box = SecretBox.from_settings(settings)
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    sealed = box.seal(TOKEN)
    assert is_sealed(sealed)
    assert TOKEN not in sealed
    assert sealed != box.seal(TOKEN)  # a fresh IV each time
    assert box.open(sealed) == TOKEN
    assert SecretBox.from_settings(settings).open(sealed) == TOKEN  # the same file, read again
    assert box.open("shk_legacy_plaintext") == "shk_legacy_plaintext"  # stored before encryption existed
    with pytest.raises(SecretKeyError):
        SecretBox.from_settings(Settings(data_dir=tmp_path / "other")).open(sealed)


def test_the_environment_key_wins_and_bad_keys_are_refused(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox.from_settings(Settings(data_dir=tmp_path / "data", secret_key=key))
    assert not (tmp_path / "data" / KEY_FILE).exists()
    assert SecretBox(key.encode()).open(box.seal(TOKEN)) == TOKEN
    with pytest.raises(SecretKeyError, match="32 url-safe"):
        SecretBox.from_settings(Settings(data_dir=tmp_path / "data", secret_key="zorblax"))
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / KEY_FILE).write_bytes(Fernet.generate_key())
    (loose / KEY_FILE).chmod(0o644)
    with pytest.raises(SecretKeyError, match="readable by other users"):
        SecretBox.from_settings(Settings(data_dir=loose))


def test_subscriptions_store_the_key_sealed(db: Database, tmp_path: Path) -> None:
    caller = make_org(db, "node")
    box = SecretBox.from_settings(Settings(data_dir=tmp_path / "data"))
    with db.writing() as s:
        add_subscription(s, caller, "http://hub.test", TOKEN, 60, box=box)
        with pytest.raises(LimitExceededError):
            add_subscription(s, caller, "http://hub.test", "k" * 80, 60, box=box)
    with db.reading() as s:
        stored = s.scalars(select(Subscription.api_key)).one()
    assert TOKEN not in stored
    assert box.open(stored) == TOKEN
