"""``sharedhash deter check`` and ``deter test``: verdicts, explanations, JSON output and clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app

runner = CliRunner()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.txt"
    path.write_text(
        '# placeholders\nterm zorblax severity=high category=placeholder\nterm quuxvid\nallow "zorblax museum"\n',
        encoding="utf-8",
    )
    return path


def test_check_deters_with_explanation_and_message(rules: Path) -> None:
    result = runner.invoke(app, ["deter", "check", "Z.0.R.B.L.4.X", "--rules", str(rules), "--locale", "en-GB"])
    assert result.exit_code == 0, result.output
    assert "deter" in result.output
    assert "term zorblax" in result.output
    assert "Stop It Now (UK and Ireland)" in result.output


def test_check_json(rules: Path) -> None:
    result = runner.invoke(app, ["deter", "check", "zorblqx", "--rules", str(rules), "--json"])
    body = json.loads(result.output)
    assert body["deter"] is True
    assert body["matches"][0]["how"] == "fuzzy"
    assert body["message"]["parts"]["help"]
    clean = json.loads(runner.invoke(app, ["deter", "check", "garden", "--rules", str(rules), "--json"]).output)
    assert clean["deter"] is False
    assert clean["message"] is None


def test_check_allow_phrase_is_shown_as_suppressed(rules: Path) -> None:
    result = runner.invoke(app, ["deter", "check", "the zorblax museum", "--rules", str(rules)])
    assert result.exit_code == 0
    assert "no match" in result.output
    assert "suppressed" in result.output


def test_test_command_reports_recall(rules: Path) -> None:
    result = runner.invoke(app, ["deter", "test", "--rules", str(rules), "--variants", "30", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["rules"] == 2
    assert body["variants"] == 60
    assert body["recall"] >= 0.9
    strict = runner.invoke(app, ["deter", "test", "--rules", str(rules), "--variants", "30", "--min-recall", "1.0"])
    assert strict.exit_code in (0, 1)


def test_malformed_rule_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("term zorblax\nterm quuxvid severity=urgent\n", encoding="utf-8")
    result = runner.invoke(app, ["deter", "check", "zorblax", "--rules", str(bad), "--json"])
    assert result.exit_code == 1
    error = json.loads(result.output)["error"]
    assert error["code"] == "invalid_rule_file"
    assert error["line"] == 2
    assert "line 2: unknown severity" in error["message"]
    assert error["hint"]
    human = runner.invoke(app, ["deter", "test", "--rules", str(bad)])
    assert human.exit_code == 1
    assert "Traceback" not in human.output


def test_missing_rule_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deter", "check", "zorblax", "--rules", str(tmp_path / "absent"), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["error"]["code"] == "unreadable_path"
