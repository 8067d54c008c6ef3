"""``sharedhash deter``: check a query against a rule file, and test a rule file against obfuscated variants."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from sharedhash.cli.output import console, emit_json, err_console, handle_errors
from sharedhash.deterrence import Matcher, RuleKind, TermList
from sharedhash.deterrence.lexicon import load_lexicon
from sharedhash.deterrence.messages import MessageCatalog
from sharedhash.deterrence.variants import variants
from sharedhash.settings import get_settings

deter_app = typer.Typer(help="Deterrence: check search queries against a term list.", no_args_is_help=True)

_RULES = typer.Option(..., "--rules", help="Rule file: one rule a line (see docs/deterrence.md).")
_LEXICON = typer.Option(
    None, "--lexicon", help="Benign word list (a path, or 'wordfreq'); default: SHAREDHASH_DETERRENCE_LEXICON."
)
_JSON = typer.Option(False, "--json", help="One JSON line instead of text.")


def _matcher(rules: Path, lexicon: str | None) -> Matcher:
    settings = get_settings()
    term_list = TermList.from_file(rules)
    spec = lexicon if lexicon is not None else settings.deterrence_lexicon
    return Matcher(term_list, lexicon=load_lexicon(spec), max_query_chars=settings.deterrence_max_query_chars)


@deter_app.command("check")
def check(
    query: str = typer.Argument(..., help="The search query to check."),
    rules: Path = _RULES,
    locale: str | None = typer.Option(None, "--locale", help="Language of the message, e.g. de-DE."),
    country: str | None = typer.Option(None, "--country", help="Country for help resources, e.g. GB."),
    lexicon: str | None = _LEXICON,
    as_json: bool = _JSON,
) -> None:
    """Check one query: whether it is deterred, which rules fired and why, and the message it would get."""
    with handle_errors(as_json=as_json):
        result = _matcher(rules, lexicon).check(query)
        message = MessageCatalog().message(locale, country) if result.deter else None
        if as_json:
            emit_json({**result.to_dict(), "message": message.to_dict() if message else None})
            return
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


@deter_app.command("test")
def variants_test(
    rules: Path = _RULES,
    count: int = typer.Option(120, "--variants", min=1, max=1000, help="Obfuscated variants per term rule."),
    show: int = typer.Option(20, "--show", min=0, help="Missed variants to list."),
    min_recall: float = typer.Option(0.0, "--min-recall", min=0.0, max=1.0, help="Exit 1 below this recall."),
    lexicon: str | None = _LEXICON,
    seed: int = typer.Option(0, "--seed", help="Seed of the variant generator."),
    as_json: bool = _JSON,
) -> None:
    """Generate obfuscated variants of every term rule and show which ones the matcher misses."""
    with handle_errors(as_json=as_json):
        matcher = _matcher(rules, lexicon)
        terms = [r for r in matcher.rules if r.kind is RuleKind.TERM]
        total = 0
        missed: list[dict[str, object]] = []
        per_rule: dict[str, tuple[int, int]] = {}
        with Progress(console=err_console, transient=True, disable=as_json) as progress:
            task = progress.add_task("checking variants", total=len(terms))
            for rule in terms:
                rule_total = rule_missed = 0
                for variant in variants(rule, count=count, seed=seed):
                    rule_total += 1
                    if not any(m.rule == rule for m in matcher.check(variant.query).matches):
                        rule_missed += 1
                        missed.append({"rule_id": rule.rule_id, "rule": rule.to_line(), "query": variant.query,
                                       "transforms": list(variant.transforms)})  # fmt: skip
                total += rule_total
                per_rule[rule.rule_id] = (rule_total, rule_missed)
                progress.advance(task)
        recall = 1 - len(missed) / total if total else 1.0
        if as_json:
            emit_json({"rules": len(terms), "variants": total, "missed": len(missed), "recall": recall,
                       "missed_variants": missed[:show] if show else missed})  # fmt: skip
        else:
            table = Table(title=f"{len(missed)} of {total} variants missed: recall {recall:.2%}")
            table.add_column("rule")
            table.add_column("missed query")
            table.add_column("transformations")
            for row in missed[:show]:
                table.add_row(str(row["rule"]), repr(row["query"]), ", ".join(row["transforms"]))  # type: ignore[arg-type]
            console.print(table)
        if recall < min_recall:
            if not as_json:
                err_console.print(f"recall {recall:.2%} is below --min-recall {min_recall:.2%}", highlight=False)
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``deter check`` and ``deter test`` to the root command."""
    app.add_typer(deter_app, name="deter")
