"""CLI test helpers: a live hub made with ``sharedhash org create`` (the ``hub`` fixture of the CLI tests), and
running a command with ``--json`` output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.settings import get_settings
from tests.support.hub import make_settings
from tests.support.live import LiveServer, start_server


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveServer, str]]:
    """A live hub on SQLite and the demo org's key, created with ``sharedhash org create``."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", url)
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    created = run("org", "create", "demo", "--json")
    key = created["api_key"]
    assert created["operator"]
    assert run("org", "create", "demo", "--if-missing", "--json") == {"org": "demo", "created": False}
    server = start_server(make_settings(tmp_path, url))
    monkeypatch.setenv("SHAREDHASH_HUB_URL", server.url)
    monkeypatch.setenv("SHAREDHASH_API_KEY", key)
    get_settings.cache_clear()
    try:
        yield server, key
    finally:
        server.stop()
        get_settings.cache_clear()


def run(*args: str, code: int = 0) -> Any:
    """Run a command with --json output; return the parsed single JSON line (or list of lines)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    return lines[0] if len(lines) == 1 else lines
