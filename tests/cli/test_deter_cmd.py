"""``sharedhash deter check`` and ``deter test``: verdicts, explanations, JSON output and clean errors."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.settings import get_settings
from tests.support.cli import hub
from tests.support.live import LiveServer

__all__ = ["hub"]

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
    assert result.exit_code == 1  # grep's convention: 1 when nothing matched
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


def test_explain_shows_each_step_and_why_rules_fired_or_not(rules: Path) -> None:
    query = "%EF%BD%9A0rb|ax video"  # URL-encoded fullwidth z, a digit and a symbol for letters
    result = runner.invoke(app, ["deter", "explain", query, "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert "reading: url_percent" in result.output
    assert "reads as 'z'" in result.output
    assert "digits and l read as letters" in result.output
    assert "fired: " in result.output
    assert "term zorblax" in result.output
    body = json.loads(runner.invoke(app, ["deter", "explain", query, "--rules", str(rules), "--json"]).output)
    assert body["deter"] is True
    assert {r["reading"] for r in body["readings"]} >= {"as received", "url_percent"}
    assert body["matches"][0]["reading"].startswith("url_percent")
    missed = json.loads(
        runner.invoke(app, ["deter", "explain", "quixvodz frobs", "--rules", str(rules), "--json"]).output
    )
    assert missed["deter"] is False
    near = missed["near_misses"][0]
    assert near["rule"].startswith("term quuxvid")
    assert "allows" in near["reason"]


def test_explain_one_rule(rules: Path) -> None:
    out = runner.invoke(app, ["deter", "explain", "garden", "--rules", str(rules), "--rule", "term zorblax", "--json"])
    body = json.loads(out.output)
    assert [m["rule"].split()[1] for m in body["near_misses"]] == ["zorblax"]


def test_test_command_reports_risky_rules_from_benign_lines(rules: Path, tmp_path: Path) -> None:
    benign = tmp_path / "catalogue.txt"
    benign.write_text("garden chairs\nzorblix lamp\nthe zorblax museum shop\n\nblue kettle\n", encoding="utf-8")
    result = runner.invoke(app, ["deter", "test", "--rules", str(rules), "--benign", str(benign), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["benign_lines"] == 4
    assert body["benign_triggered"] == 1
    [risky] = body["risky_rules"]
    assert risky["rule"].startswith("term zorblax")
    assert risky["examples"] == [{"text": "zorblix lamp", "how": "fuzzy", "matched": "zorbix"}]
    human = runner.invoke(app, ["deter", "test", "--rules", str(rules), "--benign", str(benign), "--variants", "5"])
    assert "1 risky rule" in human.output
    missing = runner.invoke(app, ["deter", "test", "--rules", str(rules), "--benign", str(tmp_path / "no.txt")])
    assert missing.exit_code != 0


def test_malformed_rule_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("term zorblax\nterm quuxvid severity=urgent\n", encoding="utf-8")
    result = runner.invoke(app, ["deter", "check", "zorblax", "--rules", str(bad), "--json"])
    assert result.exit_code == 2
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
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "unreadable_path"


# -- against a hub -------------------------------------------------------------------------------------------


def _hub_run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout.splitlines()[-1]) if "--json" in args else result.output


def test_check_settings_and_stats_against_a_hub(hub: tuple[LiveServer, str], rules: Path, tmp_path: Path) -> None:
    server, key = hub
    lst = _hub_run("list", "create", "terms", "--json")
    imported = _hub_run("deter", "import-rules", str(lst["id"]), "--rules", str(rules), "--json")
    assert imported["created"] == 3
    deadline = time.monotonic() + 10  # the rules take effect with the hub's next watcher round
    while runner.invoke(app, ["deter", "check", "zorblax", "--json"]).exit_code != 0:
        assert time.monotonic() < deadline, "the imported rules did not take effect"
        time.sleep(0.1)
    (start,) = _hub_run("deter", "stats", "--json")["days"]
    answer = _hub_run("deter", "check", "Z.0.R.B.L.4.X", "--locale", "en-GB", "--json")
    assert answer["deter"] is True
    assert answer["resources"][0]["url"].startswith(f"{server.url}/v1/deterrence/click/")
    assert "explain" not in answer
    explained = _hub_run("deter", "check", "zorblqx", "--explain", "--json")
    assert explained["explain"][0]["how"] == "fuzzy"
    assert _hub_run("deter", "check", "the zorblax museum", "--json", code=1)["deter"] is False
    text = _hub_run("deter", "check", "zorblax", "--hub", server.url, "--api-key", key, "--explain", "--country", "GB")
    assert "deter" in text
    assert "term zorblax" in text
    assert "Stop It Now" in text
    # Settings: public mode, a catalog file, validation errors, reset.
    assert _hub_run("deter", "settings", "show", "--json")["public"] is False
    shown = _hub_run("deter", "settings", "set", "--public", "--public-per-minute", "120", "--json")
    assert (shown["public"], shown["public_per_minute"]) == (True, 120)
    public = _hub_run("deter", "check", "zorblax", "--public", "demo", "--api-key", "", "--json")
    assert public["deter"] is True
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({
        "templates": {"en": {"title": "T", "illegal": "I", "harm": "H", "consequences": "C", "help": "Help"}},
        "resources": [{"name": "Line", "url": "https://help.example.org", "languages": ["en"]}],
    }), encoding="utf-8")  # fmt: skip
    assert _hub_run("deter", "settings", "set", "--catalog", str(catalog), "--json")["custom_catalog"] is True
    assert _hub_run("deter", "check", "zorblax", "--json")["message"]["title"] == "T"
    catalog.write_text(json.dumps({"templates": {"en": {"title": "T"}}}), encoding="utf-8")
    error = _hub_run("deter", "settings", "set", "--catalog", str(catalog), "--json", code=1)["error"]
    assert error["code"] == "invalid_catalog"
    assert error["hint"]
    assert _hub_run("deter", "settings", "set", "--json", code=1)["error"]["code"] == "invalid_input"
    assert _hub_run("deter", "settings", "set", "--reset-catalog", "--json")["custom_catalog"] is False
    assert "catalog: the defaults" in _hub_run("deter", "settings", "show")
    # Counters: the 6 checks above (the public one included), 5 of them deterred.
    stats = _hub_run("deter", "stats", "--json")
    (day,) = stats["days"]
    assert (day["checks"] - start["checks"], day["responses"] - start["responses"]) == (6, 5)
    assert "term zorblax" in _hub_run("deter", "stats")


def test_hub_check_needs_a_key(hub: tuple[LiveServer, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHAREDHASH_API_KEY")
    get_settings.cache_clear()
    assert _hub_run("deter", "check", "zorblax", "--json", code=2)["error"]["code"] == "unauthenticated"
    # Public mode is off by default: the public check is refused like an absent org.
    assert _hub_run("deter", "check", "x", "--public", "demo", "--json", code=2)["error"]["code"] == "not_found"
