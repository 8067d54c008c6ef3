"""``sharedhash entry``: add, show, change and remove entries; give feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sharedhash.cli.hub_common import JSON_OPTION, KEY_OPTION, URL_OPTION, make_client, short
from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.errors import InvalidInputError

entry_app = typer.Typer(help="Entries: add, show, update, remove, feedback.", no_args_is_help=True)

if TYPE_CHECKING:
    from sharedhash.client.models import Entry


def parse_hash(text: str) -> tuple[str, str]:
    """``TYPE:VALUE`` as a pair."""
    hash_type, sep, value = text.partition(":")
    if not sep or not hash_type or not value:
        raise InvalidInputError(
            f"not TYPE:VALUE: {short(text, 12)!r}", hint="e.g. --hash md5:d41d8cd98f00b204e9800998ecf8427e"
        )
    return hash_type.strip(), value.strip()


def _print_entry(entry: Entry, as_json: bool, extra: dict[str, object] | None = None) -> None:
    if as_json:
        emit_json(entry.model_dump(mode="json") | (extra or {}))
        return
    console.print(f"entry {entry.id} in list {entry.list_id} by {entry.contributor}: {entry.classification or '-'}")
    for h in entry.hashes:
        console.print(f"  {h.hash_type} {short(h.value, 16)}", highlight=False)
    if entry.labels:
        console.print(f"  labels: {', '.join(entry.labels)}")
    if entry.feedback:
        console.print(f"  feedback: {entry.feedback.confirm} confirm, {entry.feedback.dispute} dispute")


@entry_app.command("add")
def add(
    list_id: Annotated[int, typer.Argument()],
    hash_: Annotated[list[str], typer.Option("--hash", help="TYPE:VALUE; repeat for each hash of the file.")],
    classification: str | None = typer.Option(None, "--classification", help="A1, A2, B1 or B2."),
    label: Annotated[list[str] | None, typer.Option("--label", help="A free label; repeat for several.")] = None,
    external_id: str | None = typer.Option(None, "--external-id", help="Your own reference."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add an entry; a hash already in the list returns the existing entry."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        added = client.add_entry(
            list_id,
            [parse_hash(h) for h in hash_],
            classification=classification,
            labels=label or [],
            external_id=external_id,
        )
        if not as_json:
            console.print("added" if added.created else "already there:")
        _print_entry(added, as_json, {"created": added.created})


@entry_app.command("show")
def show(
    entry_id: Annotated[int, typer.Argument()],
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One entry with its feedback counts."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        _print_entry(client.get_entry(entry_id), as_json)


@entry_app.command("update")
def update(
    entry_id: Annotated[int, typer.Argument()],
    classification: str | None = typer.Option(None, "--classification"),
    label: Annotated[list[str] | None, typer.Option("--label", help="Replaces all labels.")] = None,
    external_id: str | None = typer.Option(None, "--external-id"),
    add_hash: Annotated[list[str] | None, typer.Option("--add-hash", help="TYPE:VALUE to add.")] = None,
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an entry you contributed (or that is in your list)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        changes: dict[str, object] = {}
        if classification is not None:
            changes["classification"] = classification
        if label:
            changes["labels"] = label
        if external_id is not None:
            changes["external_id"] = external_id
        if add_hash:
            changes["add_hashes"] = [{"hash_type": t, "value": v} for t, v in map(parse_hash, add_hash)]
        _print_entry(client.update_entry(entry_id, **changes), as_json)


@entry_app.command("remove")
def remove(
    entry_id: Annotated[int, typer.Argument()],
    hash_: str | None = typer.Option(None, "--hash", help="Remove only this TYPE:VALUE hash."),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove an entry (or one of its hashes); it stops matching at once."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        if hash_ is None:
            client.remove_entry(entry_id)
            left = None
        else:
            left = client.remove_hash(entry_id, *parse_hash(hash_))
        if as_json:
            emit_json({"entry_id": entry_id, "removed": "entry" if left is None else "hash"})
        else:
            console.print(f"removed {'entry' if left is None else 'the hash from entry'} {entry_id}")


@entry_app.command("feedback")
def feedback(
    entry_id: Annotated[int, typer.Argument()],
    verdict: str = typer.Argument(..., help="confirm or dispute"),
    reason: str = typer.Option(
        ...,
        "--reason",
        help="confirm: verified, matched_own_report; dispute: false_positive, not_illegal, not_minor, "
        "age_undetermined, wrong_classification, low_quality, duplicate; or other (docs/hub.md)",
    ),
    note: str = typer.Option("", "--note"),
    url: str | None = URL_OPTION,
    api_key: str | None = KEY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Confirm or dispute an entry (a dispute hides it from your org's lookups)."""
    with handle_errors(as_json=as_json), make_client(url, api_key) as client:
        row = client.give_feedback(entry_id, verdict, reason, note)
        if as_json:
            emit_json(row.model_dump(mode="json"))
        else:
            console.print(f"recorded {row.verdict} ({row.reason}) on entry {entry_id}")


def register(app: typer.Typer) -> None:
    """Add ``entry``."""
    app.add_typer(entry_app, name="entry")
