"""``sharedhash report`` on a node's own database, against the CyberTipline stand-in: credentials from a file
(stored encrypted), reporter details, a draft from local files, validate, submit, status, list, export, retract."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.reports.standin import StandIn
from sharedhash.settings import get_settings
from tests.support.cli import run
from tests.support.reports import STANDIN_PASSWORD, STANDIN_USER


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty node database with the org ``demo``."""
    monkeypatch.setenv("SHAREDHASH_DATABASE_URL", f"sqlite:///{tmp_path / 'node.db'}")
    monkeypatch.setenv("SHAREDHASH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    run("org", "create", "demo", "--json")
    yield tmp_path
    get_settings.cache_clear()


def test_report_commands_end_to_end(node: Path) -> None:
    secret = node / "password.txt"
    secret.write_text(STANDIN_PASSWORD + "\n")
    files = [node / "example-file-1.txt", node / "example-file-2.txt"]
    for n, f in enumerate(files):
        f.write_bytes(f"zorblax cli file {n}\n".encode())
    with StandIn(users={STANDIN_USER: STANDIN_PASSWORD}) as standin:
        stored = run(
            "report",
            "credentials",
            "set",
            "--org",
            "demo",
            "--env",
            "test",
            "--username",
            STANDIN_USER,
            "--password-file",
            str(secret),
            "--url",
            standin.url,
            "--json",
        )
        assert stored["username"] == STANDIN_USER
        assert STANDIN_PASSWORD not in (node / "node.db").read_bytes().decode("latin-1")
        run(
            "report", "reporter", "--org", "demo", "--email", "reports@example.org", "--first-name", "Example", "--json"
        )
        drafted = run(
            "report", "draft", *map(str, files), "--org", "demo", "--uploader", "example-user-1", "--viewed", "--json"
        )
        assert drafted["status"] == "draft"
        assert all(f["has_content"] for f in drafted["files"])
        assert run("report", "validate", str(drafted["id"]), "--org", "demo", "--json") == {
            "valid": True,
            "problems": [],
        }
        done = run("report", "submit", str(drafted["id"]), "--org", "demo", "--json")
        assert done["status"] == "finished"
        assert standin.app.reports[done["ncmec_report_id"]].state.value == "finished"
    assert run("report", "status", str(drafted["id"]), "--org", "demo", "--json")["status"] == "finished"
    listed = run("report", "list", "--org", "demo", "--status", "finished", "--json")
    assert [r["id"] for r in listed] == [drafted["id"]]
    out = node / "report.zip"
    run("report", "export", str(drafted["id"]), "--org", "demo", "-o", str(out), "--json")
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert sorted(archive.namelist()) == ["files/0001.xml", "files/0002.xml", "manifest.json", "report.xml"]
    assert [f["file_name"] for f in manifest["files"]] == [f.name for f in files]
    # A finished report cannot be retracted: a clear error and exit 1.
    failed = run("report", "retract", str(drafted["id"]), "--org", "demo", "--json", code=1)
    assert failed["error"]["code"] == "report_state"


def test_password_never_on_the_command_line(node: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "credentials", "set", "--org", "demo", "--username", "u", "--password", "zorblax"]
    )
    assert result.exit_code == 2  # no such option
    prompted = CliRunner().invoke(
        app,
        ["report", "credentials", "set", "--org", "demo", "--username", "u", "--json"],
        input="zorblax-Prompted-1\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "zorblax-Prompted-1" not in prompted.output


def test_unknown_org_and_environment_are_clear_errors(node: Path) -> None:
    assert run("report", "list", "--org", "nobody", "--json", code=1)["error"]["code"] == "not_found"
    secret = node / "p.txt"
    secret.write_text("x\n")
    bad = run(
        "report",
        "credentials",
        "set",
        "--org",
        "demo",
        "--env",
        "staging",
        "--username",
        "u",
        "--password-file",
        str(secret),
        "--json",
        code=1,
    )
    assert bad["error"]["code"] == "invalid_input"
