"""``sharedhash rule``: add, list, dry-run and remove action rules against a live hub; bad input is a clear error."""

from __future__ import annotations

from typer.testing import CliRunner

from sharedhash.cli.app import app
from tests.support.cli import run
from tests.support.live import LiveServer


def test_rule_add_list_test_remove(hub: tuple[LiveServer, str]) -> None:
    lst = run("list", "create", "known", "--json")
    added = run(
        "rule", "add", "close-a1", "--list-id", str(lst["id"]), "--classification", "A1", "--max-distance", "10",
        "--review", "lead:5", "--stop", "--json",
    )  # fmt: skip
    assert added["conditions"] == {"list_ids": [lst["id"]], "classifications": ["A1"], "max_distance": 10}
    assert added["actions"] == [{"type": "review", "queue": "lead", "priority": 5}]
    run("rule", "add", "mute", "--suppress", "--position", "1", "--json")
    assert [(r["name"], r["position"]) for r in run("rule", "list", "--json")] == [("mute", 1), ("close-a1", 2)]
    dry = run("rule", "test", "--list-id", str(lst["id"]), "--hash-type", "pdq", "--distance", "3", "--json")
    assert (dry["rule"], dry["suppressed"]) == ("mute", True)
    run("rule", "remove", str(run("rule", "list", "--json")[0]["id"]), "--json")
    dry = run(
        "rule", "test", "--list-id", str(lst["id"]), "--hash-type", "pdq", "--classification", "A1", "--json"
    )  # fmt: skip
    assert (dry["rule"], dry["actions"]) == ("close-a1", ["review"])
    table = CliRunner().invoke(app, ["rule", "list"])
    assert table.exit_code == 0
    assert "close-a1" in table.stdout


def test_rule_errors_are_clear(hub: tuple[LiveServer, str]) -> None:
    result = CliRunner().invoke(app, ["rule", "add", "x"])
    assert result.exit_code != 0
    assert "needs an action" in result.output
    result = CliRunner().invoke(app, ["rule", "add", "x", "--webhook", "nocolon"])
    assert result.exit_code != 0
    assert "ENDPOINT:EVENT_TYPE" in result.output
    result = CliRunner().invoke(app, ["rule", "add", "x", "--webhook", "missing:match.block"])
    assert result.exit_code != 0
    assert "no webhook endpoint" in result.output
    result = CliRunner().invoke(app, ["rule", "remove", "999"])
    assert result.exit_code != 0
    assert "no rule 999" in result.output
