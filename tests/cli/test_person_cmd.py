"""``sharedhash person``: the local operator adds the first admin of an org, lists, disables and resets people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.settings import get_settings
from tests.support.cli import run


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", f"sqlite:///{tmp_path / 'hub.db'}")
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHAREDHASH_HUB_URL", "https://review.quuxvid.test")
    get_settings.cache_clear()
    run("org", "create", "quuxvid", "--json")
    yield
    get_settings.cache_clear()


def test_add_list_disable_reset(local: None) -> None:
    result = CliRunner().invoke(
        app,
        ["person", "add", "quuxvid", "root@quuxvid.test", "--role", "admin", "--password-stdin", "--json"],
        input="correct horse zorblax staple\n",
    )
    assert result.exit_code == 0, result.output
    assert '"role":"admin"' in result.stdout
    invited = run("person", "add", "quuxvid", "ann@quuxvid.test", "--json")
    assert invited["invite"].startswith("https://review.quuxvid.test/ui/invite/shi_")
    people = run("person", "list", "quuxvid", "--json")
    assert [(p["login"], p["role"], p["state"]) for p in people] == [
        ("root@quuxvid.test", "admin", "active"),
        ("ann@quuxvid.test", "moderator", "invited"),
    ]
    assert run("person", "disable", "quuxvid", str(invited["id"]), "--json") == {"id": invited["id"], "disabled": True}
    assert run("person", "reset", "quuxvid", str(invited["id"]), "--json")["invite"].startswith("https://")
    assert run("person", "list", "quuxvid", "--json")[1]["state"] == "disabled"


def test_errors_are_clear(local: None) -> None:
    assert run("person", "add", "nosuchorg", "ann", "--json", code=1)["error"]["code"] == "not_found"
    assert run("person", "add", "quuxvid", "ann", "--role", "boss", "--json", code=1)["error"]["code"] == "invalid_role"
    run("person", "add", "quuxvid", "ann", "--json")
    assert run("person", "add", "quuxvid", "ann", "--json", code=1)["error"]["code"] == "login_taken"
    assert run("person", "disable", "quuxvid", "99", "--json", code=1)["error"]["code"] == "not_found"
    weak = CliRunner().invoke(app, ["person", "add", "quuxvid", "bob", "--password-stdin", "--json"], input="short\n")
    assert weak.exit_code == 1
    assert "weak_password" in weak.stdout
