"""``sharedhash deter``: check a query (rule file or hub), test a rule file against obfuscated variants, and the
hub's deterrence settings and counters."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress
from rich.table import Table

from sharedhash.cli.hub_common import KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import (
    EXIT_MATCHED,
    EXIT_NO_MATCH,
    EXIT_TROUBLE,
    console,
    emit_json,
    err_console,
    handle_errors,
)
from sharedhash.deterrence import Matcher, Rule, RuleKind, TermList, parse_rule
from sharedhash.deterrence.explain import explain
from sharedhash.deterrence.families import available_families, disguise
from sharedhash.deterrence.lexicon import load_lexicon
from sharedhash.deterrence.messages import MessageCatalog
from sharedhash.errors import FileAccessError, InvalidInputError
from sharedhash.settings import get_settings

if TYPE_CHECKING:
    from sharedhash.client.models import DeterrenceSettings

deter_app = typer.Typer(help="Deterrence: check search queries against a term list.", no_args_is_help=True)

_RULES = typer.Option(..., "--rules", help="Rule file: one rule a line (see docs/deterrence.md).")
_LEXICON = typer.Option(
    None, "--lexicon", help="Benign word list (a path, or 'wordfreq'); default: SHAREDHASH_DETERRENCE_LEXICON."
)
_JSON = typer.Option(False, "--json", help="One JSON line instead of text.")
_RULES_OR_HUB: Any = typer.Option(
    None, "--rules", help="Check against this rule file; without it, ask the hub (--url, --api-key)."
)
_CATALOG: Any = typer.Option(None, "--catalog", help="JSON file: templates and help resources (docs/deterrence.md).")


def _matcher(rules: Path, lexicon: str | None) -> Matcher:
    settings = get_settings()
    term_list = TermList.from_file(rules)
    spec = lexicon if lexicon is not None else settings.deterrence_lexicon
    return Matcher(term_list, lexicon=load_lexicon(spec), max_query_chars=settings.deterrence_max_query_chars)


@deter_app.command("check")
def check(
    query: str = typer.Argument(..., help="The search query to check."),
    rules: Path | None = _RULES_OR_HUB,
    locale: str | None = typer.Option(None, "--locale", help="Language of the message, e.g. de-DE."),
    country: str | None = typer.Option(None, "--country", help="Country for help resources, e.g. GB."),
    lexicon: str | None = _LEXICON,
    url: str | None = typer.Option(None, "--url", "--hub", help="Hub URL (default: SHAREDHASH_HUB_URL)."),
    api_key: str | None = KEY_OPTION,
    public: str | None = typer.Option(None, "--public", help="Use this org's public check (no API key)."),
    explain: bool = typer.Option(False, "--explain", help="Hub: also show which rules fired (admin key)."),
    as_json: bool = _JSON,
) -> None:
    """Check one query: whether it is deterred, which rules fired and why, and the message it would get.

    Exit 0 if the query is deterred, 1 if it is not, 2 on an error (grep's convention)."""
    with handle_errors(as_json=as_json, code=EXIT_TROUBLE):
        deter = _check(query, rules, locale, country, lexicon, url, api_key, public, explain, as_json)
    raise typer.Exit(EXIT_MATCHED if deter else EXIT_NO_MATCH)


def _check(
    query: str,
    rules: Path | None,
    locale: str | None,
    country: str | None,
    lexicon: str | None,
    url: str | None,
    api_key: str | None,
    public: str | None,
    explain: bool,
    as_json: bool,
) -> bool:
    """Check and print; whether the query is deterred."""
    if rules is None:
        return _hub_check(query, locale, country, url, api_key, public, explain, as_json)
    result = _matcher(rules, lexicon).check(query)
    message = MessageCatalog().message(locale, country) if result.deter else None
    if as_json:
        emit_json({**result.to_dict(), "message": message.to_dict() if message else None})
    else:
        verdict = "[bold red]deter[/]" if result.deter else "[green]no match[/]"
        console.print(f"{verdict}  normalised: {result.normalised!r}", highlight=False)
        for note in result.notes:
            console.print(f"  note: {note}", highlight=False)
        for match in result.matches:
            console.print(f"  fired: {match.explain()}", highlight=False)
        for match in result.suppressed:
            console.print(f"  suppressed by an allow rule: {match.explain()}", highlight=False)
        if message is not None:
            console.print(f"\n[bold]{message.title}[/]", highlight=False)
            for text in message.parts.values():
                console.print(f"  {text}", highlight=False)
            for resource in message.resources:
                console.print(f"  - {resource.name}: {resource.url}", highlight=False)
    return result.deter


def _hub_check(
    query: str,
    locale: str | None,
    country: str | None,
    url: str | None,
    api_key: str | None,
    public: str | None,
    explain: bool,
    as_json: bool,
) -> bool:
    if public is not None:
        from sharedhash.client import Client

        client = Client(url or get_settings().hub_url)
    else:
        client = make_client(url, api_key)
    with client:
        answer = client.deterrence_check(query, locale=locale, country=country, explain=explain, public_org=public)
    if as_json:
        emit_json(answer.model_dump(mode="json", exclude_none=True))
        return answer.deter
    console.print("[bold red]deter[/]" if answer.deter else "[green]no match[/]", highlight=False)
    for note in answer.notes:
        console.print(f"  note: {note}", highlight=False)
    for explained in answer.explain or []:
        console.print(f"  fired: {explained.explanation}", highlight=False)
    if answer.message is not None:
        m = answer.message
        console.print(f"\n[bold]{m.title}[/]", highlight=False)
        for text in (m.illegal, m.harm, m.consequences, m.help):
            console.print(f"  {text}", highlight=False)
        for resource in answer.resources:
            console.print(f"  - {resource.name}: {resource.url}", highlight=False)
    return answer.deter


@deter_app.command("explain")
def explain_query(
    query: str = typer.Argument(..., help="The search query to explain."),
    rules: Path = _RULES,
    rule: str | None = typer.Option(None, "--rule", help="Explain this one rule (a rule line, e.g. 'term zorblax')."),
    near: int = typer.Option(5, "--near", min=0, max=100, help="Closest rules that did not fire to explain."),
    lexicon: str | None = _LEXICON,
    as_json: bool = _JSON,
) -> None:
    """Show every normalisation step of a query, which rules fired and how, and why the closest others did not."""
    with handle_errors(as_json=as_json):
        matcher = _matcher(rules, lexicon)
        focus = parse_rule(rule) if rule is not None else None
        explanation = explain(matcher, query, rule=focus, near_misses=near)
        if as_json:
            emit_json(explanation.to_dict())
            return
        result = explanation.result
        verdict = "[bold red]deter[/]" if result.deter else "[green]no match[/]"
        console.print(f"{verdict}  normalised: {result.normalised!r}", highlight=False)
        for note in result.notes:
            console.print(f"  note: {note}", highlight=False)
        for reading in explanation.readings:
            console.print(f"\n[bold]reading: {reading.label}[/]", highlight=False)
            for character, reads_as, source in reading.characters:
                console.print(f"  {character!r} reads as {reads_as!r} (Unicode {source})", highlight=False)
            for step, text in reading.steps:
                console.print(f"  {step}:\n      {text!r}", highlight=False)
        console.print("")
        for match in result.matches:
            console.print(f"fired: {match.explain()}", highlight=False)
        for match in result.suppressed:
            console.print(f"suppressed by an allow rule: {match.explain()}", highlight=False)
        for miss in explanation.near_misses:
            closest = f"closest {miss.closest!r}, {miss.distance} edit(s)" if miss.closest else "nothing close"
            console.print(f"did not fire: {miss.rule.to_line()} ({closest}): {miss.reason}", highlight=False)


_BENIGN: Any = typer.Option(
    None, "--benign", help="Text file of ordinary strings, one a line (e.g. your catalogue titles): rules they trigger."
)


@deter_app.command("test")
def rules_test(
    rules: Path = _RULES,
    benign: Path | None = _BENIGN,
    count: int = typer.Option(120, "--variants", min=1, max=1000, help="Obfuscated variants per term rule."),
    show: int = typer.Option(20, "--show", min=0, help="Missed variants and risky rules to list."),
    min_recall: float = typer.Option(0.0, "--min-recall", min=0.0, max=1.0, help="Exit 1 below this recall."),
    lexicon: str | None = _LEXICON,
    seed: int = typer.Option(0, "--seed", help="Seed of the variant generator."),
    as_json: bool = _JSON,
) -> None:
    """Test a rule file before publishing it: which obfuscated variants each term rule misses (every family of
    docs/deterrence.md in turn), and with --benign, which rules ordinary strings trigger (risky rules).
    Runs on the files given; nothing is stored."""
    with handle_errors(as_json=as_json):
        matcher = _matcher(rules, lexicon)
        lines = _benign_lines(benign) if benign is not None else []
        report = test_rules(matcher, lines, count=count, seed=seed, as_json=as_json)
        if as_json:
            emit_json(report.to_dict(show))
        else:
            _print_test_report(report, show, benign)
        if report.recall < min_recall:
            if not as_json:
                err_console.print(f"recall {report.recall:.2%} is below --min-recall {min_recall:.2%}", highlight=False)
            raise typer.Exit(1)


def _benign_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FileAccessError(f"cannot read benign file {str(path)!r}: {exc.strerror or exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_rules(matcher: Matcher, benign: list[str], *, count: int, seed: int, as_json: bool) -> RuleTestReport:
    """Check ``count`` family variants of every term rule and every benign line, with a progress bar."""
    terms = [r for r in matcher.rules if r.kind is RuleKind.TERM]
    families = available_families()
    report = RuleTestReport(rules=len(terms), benign_lines=len(benign))
    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("checking variants", total=len(terms))
        for rule in terms:
            rng = random.Random(f"{seed}:{rule.canonical}")
            for i in range(count):
                family = families[i % len(families)]
                query = disguise(family, rule.texts[0], rng)
                report.variants += 1
                if not any(m.rule == rule for m in matcher.check(query).matches):
                    report.missed.append({"rule_id": rule.rule_id, "rule": rule.to_line(), "query": query,
                                          "family": family})  # fmt: skip
                    report.missed_by_family[family] += 1
            progress.advance(task)
        task = progress.add_task("checking benign lines", total=len(benign))
        for line in benign:
            result = matcher.check(line)
            if result.deter:
                report.triggered += 1
                for match in result.matches:
                    hits = report.risky.setdefault(match.rule.rule_id, {"rule": match.rule.to_line(), "hits": 0,
                                                                        "examples": []})  # fmt: skip
                    hits["hits"] += 1
                    if len(hits["examples"]) < 3:
                        hits["examples"].append({"text": line, "how": match.how.value, "matched": match.matched})
            progress.advance(task)
    return report


@dataclass
class RuleTestReport:
    """What ``deter test`` found: missed variants (by family) and rules that benign lines trigger."""

    rules: int
    benign_lines: int
    variants: int = 0
    missed: list[dict[str, str]] = field(default_factory=list)
    missed_by_family: Counter[str] = field(default_factory=Counter)
    triggered: int = 0
    risky: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        """The share of variants whose rule fired."""
        return 1 - len(self.missed) / self.variants if self.variants else 1.0

    def risky_rules(self) -> list[dict[str, Any]]:
        """Rules benign lines triggered, most triggered first."""
        rows: list[dict[str, Any]] = [{"rule_id": k, **v} for k, v in self.risky.items()]
        return sorted(rows, key=lambda r: (-r["hits"], r["rule"]))

    def to_dict(self, show: int) -> dict[str, object]:
        """JSON-ready form; ``show`` > 0 caps the missed variants listed."""
        return {
            "rules": self.rules,
            "variants": self.variants,
            "missed": len(self.missed),
            "recall": self.recall,
            "missed_by_family": dict(self.missed_by_family.most_common()),
            "missed_variants": self.missed[:show] if show else self.missed,
            "benign_lines": self.benign_lines,
            "benign_triggered": self.triggered,
            "benign_triggered_per_100k": self.triggered / self.benign_lines * 100_000 if self.benign_lines else 0.0,
            "risky_rules": self.risky_rules(),
        }


def _print_test_report(report: RuleTestReport, show: int, benign: Path | None) -> None:
    table = Table(title=f"{len(report.missed)} of {report.variants} variants missed: recall {report.recall:.2%}")
    table.add_column("rule")
    table.add_column("missed query")
    table.add_column("family")
    for row in report.missed[:show]:
        table.add_row(row["rule"], repr(row["query"]), row["family"])
    console.print(table)
    if report.missed_by_family:
        by_family = ", ".join(f"{f} {n}" for f, n in report.missed_by_family.most_common())
        console.print(f"missed by family: {by_family}", highlight=False)
    if benign is None:
        return
    risky = report.risky_rules()
    title = (
        f"{report.triggered} of {report.benign_lines} benign lines triggered a rule;"
        f" {len(risky)} risky rule{'s' if len(risky) != 1 else ''}"
    )
    table = Table(title=title)
    table.add_column("risky rule")
    table.add_column("benign hits", justify="right")
    table.add_column("examples (how it matched)")
    for risky_rule in risky[:show]:
        examples = "; ".join(f"{e['text']!r} ({e['how']} on {e['matched']!r})" for e in risky_rule["examples"])
        table.add_row(risky_rule["rule"], str(risky_rule["hits"]), examples)
    console.print(table)


def rule_entry_json(rule: Rule) -> dict[str, Any]:
    """One bulk-import line holding a rule as a ``term`` hash (the one place that builds the hash JSON)."""
    return {"hashes": [{"hash_type": "term", "value": rule.canonical}]}


@deter_app.command("import-rules")
def import_rules(
    list_id: int = typer.Argument(..., help="The term list (a hash list) to add the rules to."),
    rules: Path = _RULES,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = _JSON,
) -> None:
    """Add every rule of a rule file to a hash list on the hub, all or nothing (a bad line names its number)."""
    with handle_errors(as_json=as_json):
        term_list = TermList.from_file(rules)
        body = "".join(json.dumps(rule_entry_json(r)) + "\n" for r in term_list).encode("utf-8")
        with make_client(url, api_key) as client:
            result = client.import_entries(list_id, body)
        if as_json:
            emit_json(result.model_dump(mode="json"))
        else:
            console.print(f"{result.created} rules added, {result.existing} already there", highlight=False)


settings_app = typer.Typer(help="The org's deterrence settings on the hub (admin key).", no_args_is_help=True)
deter_app.add_typer(settings_app, name="settings")


def _print_settings(settings: DeterrenceSettings, as_json: bool) -> None:
    if as_json:
        emit_json(settings.model_dump(mode="json"))
        return
    console.print(f"public: {'on' if settings.public else 'off'} ({settings.public_per_minute}/min)", highlight=False)
    console.print(f"public check: POST {settings.public_check_path}", highlight=False)
    kind = "the org's own" if settings.custom_catalog else "the defaults"
    languages = ", ".join(sorted(settings.catalog.get("templates", {})))
    console.print(f"catalog: {kind}; languages: {languages}", highlight=False)
    for resource in settings.catalog.get("resources", []):
        console.print(f"  - {resource['name']}: {resource['url']}", highlight=False)


@settings_app.command("show")
def settings_show(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = _JSON) -> None:
    """Show public mode, its rate limit and the message catalog in use."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _print_settings(client.deterrence_settings(), as_json)


@settings_app.command("set")
def settings_set(
    public: bool | None = typer.Option(None, "--public/--no-public", help="Allow checks without an API key."),
    per_minute: int | None = typer.Option(None, "--public-per-minute", min=1, help="Public checks a minute."),
    catalog: Path | None = _CATALOG,
    reset_catalog: bool = typer.Option(False, "--reset-catalog", help="Go back to the default catalog."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = _JSON,
) -> None:
    """Change public mode, its rate, or the message catalog (validated by the hub)."""
    with handle_errors(as_json=as_json):
        changes: dict[str, Any] = {}
        if public is not None:
            changes["public"] = public
        if per_minute is not None:
            changes["public_per_minute"] = per_minute
        if catalog is not None and reset_catalog:
            raise InvalidInputError("give --catalog or --reset-catalog, not both")
        if catalog is not None:
            try:
                changes["catalog"] = json.loads(catalog.read_text(encoding="utf-8"))
            except OSError as exc:
                raise FileAccessError(f"cannot read {str(catalog)!r}: {exc.strerror or exc}") from None
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInputError(f"{catalog} is not a JSON file: {exc}") from None
        if reset_catalog:
            changes["catalog"] = None
        if not changes:
            raise InvalidInputError(
                "nothing to change", hint="Pass --public/--no-public, --catalog or --reset-catalog."
            )
        with make_client(url, api_key) as client:
            _print_settings(client.update_deterrence_settings(**changes), as_json)


@deter_app.command("stats")
def stats(
    days: int = typer.Option(30, "--days", min=1, max=366, help="How many days back, today included."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = _JSON,
) -> None:
    """Counts per day and rule: checks, deterrence responses, help-link clicks (admin key)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        found = client.deterrence_stats(days=days)
        if as_json:
            emit_json({"days": [d.model_dump(mode="json") for d in found]})
            return
        table = Table("day", "rule", "checks", "responses", "clicks")
        for day in found:
            table.add_row(str(day.day), "(all)", str(day.checks), str(day.responses), str(day.clicks))
            for rule in day.rules:
                table.add_row("", rule.rule or rule.rule_id, "", str(rule.responses), str(rule.clicks))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``deter check``, ``deter explain``, ``deter test``, ``deter settings`` and ``deter stats`` to the root
    command."""
    app.add_typer(deter_app, name="deter")
