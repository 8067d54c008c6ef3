"""``sharedhash rule``: an org's action rules (what a match of its checked content triggers): list, add, remove,
and a dry run on a described match."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError

rule_app = typer.Typer(help="Action rules: what a match of your checked content triggers.", no_args_is_help=True)


def _describe(rule: dict[str, Any]) -> tuple[str, str]:
    conditions = ", ".join(f"{k}={v}" for k, v in rule["conditions"].items()) or "every match"
    actions = []
    for a in rule["actions"]:
        if a["type"] == "webhook":
            actions.append(f"webhook {a['endpoint']} {a['event_type']}")
        elif a["type"] == "review":
            actions.append(f"review {a['queue']} (priority {a['priority']})")
        else:
            actions.append(a["type"])
    return conditions, "; ".join(actions) + ("; stop" if rule["stop"] else "")


@rule_app.command("list")
def list_rules(url: str | None = URL_OPTION, api_key: str | None = KEY_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Your org's rules, in the order they run."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        rules = client.rules()
        if as_json:
            for rule in rules:
                emit_json(rule)
            return
        table = Table("#", "id", "name", "when", "then")
        for rule in rules:
            table.add_row(str(rule["position"]), str(rule["id"]), rule["name"], *_describe(rule))
        console.print(table)


def _webhook(text: str) -> dict[str, Any]:
    endpoint, sep, event_type = text.partition(":")
    if not sep or not endpoint or not event_type:
        raise InvalidInputError(
            f"--webhook {text!r}: give ENDPOINT:EVENT_TYPE", hint="e.g. --webhook hooks:match.block"
        )
    return {"type": "webhook", "endpoint": endpoint, "event_type": event_type}


def _review(text: str) -> dict[str, Any]:
    queue, sep, priority = text.partition(":")
    try:
        return {"type": "review", "queue": queue or "default", "priority": int(priority) if sep else 0}
    except ValueError:
        raise InvalidInputError(
            f"--review {text!r}: give QUEUE or QUEUE:PRIORITY", hint="e.g. --review lead:5"
        ) from None


@rule_app.command("add")
def add(
    name: str = typer.Argument(..., help="The rule's name (unique in your org)."),
    list_id: Annotated[list[int] | None, typer.Option("--list-id", help="Match in this list (repeatable).")] = None,
    list_name: Annotated[
        list[str] | None, typer.Option("--list-name", help="Match in a list of this name (repeatable).")
    ] = None,
    classification: Annotated[
        list[str] | None, typer.Option("--classification", help="Entry classification (repeatable).")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Entry has this label (any of them; repeatable).")
    ] = None,
    hash_type: Annotated[list[str] | None, typer.Option("--hash-type", help="Matched hash type (repeatable).")] = None,
    max_distance: int | None = typer.Option(None, "--max-distance", help="Distance at most this."),
    content_type: Annotated[
        list[str] | None, typer.Option("--content-type", help="image, video or other (repeatable).")
    ] = None,
    disputed: bool | None = typer.Option(None, "--disputed/--not-disputed", help="Entry disputed by any org, or not."),
    min_confirmations: int | None = typer.Option(None, "--min-confirmations", help="Confirmed by at least N orgs."),
    webhook: Annotated[
        list[str] | None, typer.Option("--webhook", help="ENDPOINT:EVENT_TYPE, e.g. hooks:match.block (repeatable).")
    ] = None,
    review: Annotated[list[str] | None, typer.Option("--review", help="QUEUE or QUEUE:PRIORITY (repeatable).")] = None,
    suppress: bool = typer.Option(False, "--suppress", help="Take no action on matching matches."),
    stop: bool = typer.Option(False, "--stop", help="Later rules do not run when this one fires."),
    position: int | None = typer.Option(None, "--position", help="1 runs first (default: last)."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a rule: every condition given must hold; its actions run in order."""
    with handle_errors(as_json=as_json):
        conditions: dict[str, Any] = {
            "list_ids": list_id,
            "list_names": list_name,
            "classifications": classification,
            "entry_labels": label,
            "hash_types": hash_type,
            "max_distance": max_distance,
            "content_types": content_type,
            "disputed": disputed,
            "min_confirmations": min_confirmations,
        }
        actions = [_webhook(w) for w in webhook or []] + [_review(r) for r in review or []]
        if suppress:
            actions.append({"type": "suppress"})
        if not actions:
            raise InvalidInputError("a rule needs an action", hint="Give --webhook, --review or --suppress.")
        body: dict[str, Any] = {
            "name": name,
            "conditions": {k: v for k, v in conditions.items() if v not in (None, [])},
            "actions": actions,
            "stop": stop,
        }
        if position is not None:
            body["position"] = position
        with make_client(url, api_key) as client:
            rule = client.add_rule(body)
        if as_json:
            emit_json(rule)
        else:
            console.print(f"rule {rule['id']} {rule['name']!r} added at position {rule['position']}")


@rule_app.command("remove")
def remove(
    rule_id: int = typer.Argument(..., help="The rule's id (see `rule list`)."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a rule; later rules move up."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        rule = client.remove_rule(rule_id)
        if as_json:
            emit_json(rule)
        else:
            console.print(f"removed rule {rule['id']} {rule['name']!r}")


@rule_app.command("test")
def dry_run(
    list_id: int = typer.Option(..., "--list-id", help="The matched list (one your org may read)."),
    hash_type: str = typer.Option(..., "--hash-type", help="The matched hash type."),
    distance: int = typer.Option(0, "--distance"),
    classification: str | None = typer.Option(None, "--classification"),
    label: Annotated[list[str] | None, typer.Option("--label", help="An entry label (repeatable).")] = None,
    content_type: str = typer.Option("image", "--content-type", help="image, video or other."),
    disputes: int = typer.Option(0, "--disputes", help="Orgs disputing the entry."),
    confirms: int = typer.Option(0, "--confirms", help="Orgs confirming the entry."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Dry run: which rule fires for such a match, why, and what it would do (nothing is acted on)."""
    match: dict[str, Any] = {
        "list_id": list_id,
        "hash_type": hash_type,
        "distance": distance,
        "classification": classification,
        "entry_labels": label or [],
        "content_type": content_type,
        "disputes": disputes,
        "confirms": confirms,
    }
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        found = client.test_rules(match)
        if as_json:
            emit_json(found)
            return
        console.print(
            f"rule: {found['rule'] or '(none: the safe default)'}; actions: {', '.join(found['actions']) or '-'}"
        )
        for step in found["trace"]:
            console.print(f"  {'fired' if step['fired'] else 'no   '} {step['rule'] or '-'}: {step['why']}")


def register(app: typer.Typer) -> None:
    """Add ``rule``."""
    app.add_typer(rule_app, name="rule")
