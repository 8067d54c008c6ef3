"""Bulk import and export of a list's entries as JSON lines or CSV: streamed, all-or-nothing, per-line errors.

An import runs in one transaction. Every line is checked even after the first error, so the report lists all
the problems (up to a limit); if there is any, the transaction is rolled back and nothing is written.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from sharedhash.errors import InvalidInputError, SharedhashError
from sharedhash.hashing import get_hash_type, hash_type_names
from sharedhash.hub_errors import DuplicateExternalIdError
from sharedhash.limits import LONG_HASH_VALUE_MAX
from sharedhash.store.bulkwrite import BulkWriter
from sharedhash.store.entries import active_hashes, insert_entries
from sharedhash.store.lists import get_writable_list
from sharedhash.store.models import Entry
from sharedhash.store.snapshots import json_str, snapshot
from sharedhash.store.textsafe import load_json
from sharedhash.store.validation import HashChecker, HashValue, NewEntry, validate_entry
from sharedhash.store.visibility import Caller

#: Lines checked and written together (bigger batches: fewer statements; this bounds an import's memory).
BATCH = 5000
MAX_REPORTED_ERRORS = 100
#: A line holds at most a few long hash values (video hashes) beside its short fields.
MAX_LINE_CHARS = 2 * LONG_HASH_VALUE_MAX + 64 * 1024
#: Python's csv module refuses cells over 128 KiB by default; a long hash value is one cell.
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_CHARS))
#: Fields an export line carries that an import ignores, so that an export can be imported as it is.
_EXPORT_ONLY = {"id", "list_id", "contributor", "created_at", "updated_at", "feedback"}
_IMPORT_FIELDS = {"hashes", "classification", "labels", "external_id"}
_KNOWN_FIELDS = frozenset(_IMPORT_FIELDS | _EXPORT_ONLY)


@dataclass(slots=True)
class ImportResult:
    """What an import did (or, with errors, would have done and did not)."""

    lines: int = 0
    created: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_truncated: bool = False
    entry_ids: list[int] = field(default_factory=list)
    #: ``(hash id, type, value, list id, entry id, True)`` of every hash written, for the in-memory indexes.
    hash_rows: list[tuple[int, str, str, int, int, bool]] = field(default_factory=list)
    #: The first and last feed ``seq`` the import used (None if it wrote nothing).
    seq_range: tuple[int, int] | None = None

    def add_error(self, line: int, exc: SharedhashError) -> None:
        """Record a bad line (keeping the first :data:`MAX_REPORTED_ERRORS`)."""
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "code": exc.code, "message": exc.message})
        else:
            self.errors_truncated = True


def _entry_from_object(obj: Any, check: HashChecker) -> NewEntry:
    if not isinstance(obj, dict):
        raise InvalidInputError("each line must be a JSON object")
    if not obj.keys() <= _KNOWN_FIELDS:
        unknown = set(obj) - _KNOWN_FIELDS
        raise InvalidInputError(f"unknown field {sorted(unknown)[0]!r}")
    raw_hashes = obj.get("hashes")
    if not isinstance(raw_hashes, list):
        raise InvalidInputError("`hashes` must be a list of {hash_type, value} objects")
    hashes = []
    for h in raw_hashes:
        if not isinstance(h, dict) or not isinstance(h.get("hash_type"), str) or not isinstance(h.get("value"), str):
            raise InvalidInputError("each hash is an object with string `hash_type` and `value`")
        quality = h.get("quality")
        if quality is not None and (not isinstance(quality, int) or isinstance(quality, bool)):
            raise InvalidInputError("`quality` must be an integer")
        hashes.append(check(h["hash_type"], h["value"], quality))
    labels = obj.get("labels") or []
    classification = obj.get("classification")
    external_id = obj.get("external_id")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise InvalidInputError("`labels` must be a list of strings")
    for name, value in (("classification", classification), ("external_id", external_id)):
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(f"`{name}` must be a string")
    return validate_entry(hashes, classification, labels, external_id)


def parse_jsonl(lines: Iterable[str], min_quality: int = 50) -> Iterator[tuple[int, NewEntry | SharedhashError]]:
    """``(line number, entry or error)`` for each non-blank line of a JSON-lines import."""
    check = HashChecker(min_quality)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_CHARS:
            yield number, InvalidInputError(f"line is over {MAX_LINE_CHARS} characters")
            continue
        try:
            yield number, _entry_from_object(orjson.loads(line), check)
        except orjson.JSONDecodeError as exc:
            yield number, InvalidInputError(f"not JSON: {exc.msg}")
        except SharedhashError as exc:
            yield number, exc


def parse_csv(lines: Iterable[str], min_quality: int = 50) -> Iterator[tuple[int, NewEntry | SharedhashError]]:
    """Entries from CSV with a header: one column per hash type (``a|b`` for several), ``pdq_quality``,
    ``classification``, ``labels`` (``;``-separated) and ``external_id``."""
    # strict: an unterminated quote is an error (with its line), not a field that runs to the end of the body.
    reader = csv.DictReader(iter(lines), strict=True)
    types = set(hash_type_names())
    # The quality column (named for PDQ, the first quality-scored type) applies to every quality-gated type.
    gated = {t for t in types if get_hash_type(t).quality_gated}
    check = HashChecker(min_quality)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        yield reader.line_num or 1, InvalidInputError(f"CSV header: {exc}")
        return
    known = types | {"pdq_quality", "classification", "labels", "external_id"} | _EXPORT_ONLY
    unknown = [c for c in header if c not in known]
    if unknown or not any(c in types for c in header):
        problem = f"unknown column {unknown[0]!r}" if unknown else "no hash-type column"
        yield 1, InvalidInputError(f"CSV header: {problem}", hint="Columns: " + ", ".join(sorted(known)))
        return
    while True:
        start = reader.line_num + 1  # the line the next record starts on
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # A field over the csv module's limit (131,072 characters) or an unterminated quote: the reader cannot
            # go on past it, so the import stops here with the line (nothing is written: it has an error).
            yield start, InvalidInputError(f"CSV record starting on line {start}: {exc}")
            return
        number = reader.line_num
        try:
            if None in row:
                raise InvalidInputError("more cells than header columns")
            quality_cell = (row.get("pdq_quality") or "").strip()
            quality = int(quality_cell) if quality_cell else None
            hashes: list[HashValue] = []
            for t in sorted(types & set(header)):
                for value in filter(None, (v.strip() for v in (row.get(t) or "").split("|"))):
                    hashes.append(check(t, value, quality if t in gated else None))
            labels = [x for x in (row.get("labels") or "").split(";") if x.strip()]
            yield number, validate_entry(hashes, row.get("classification") or None, labels, row.get("external_id"))
        except ValueError:
            yield number, InvalidInputError("pdq_quality must be an integer")
        except SharedhashError as exc:
            yield number, exc


#: ``(list id, its last_seq, hash type, values)`` -> the values that may be active in the list (the rest surely are
#: not), or None when unknown: lets an import skip the database check for values known to be new.
PresenceHint = Callable[[int, int, str, list[str]], list[str] | None]


@dataclass(slots=True)
class ImportCheck:
    """The part of an import's checks that needs no database (every line's form, and ids repeated within the
    body), run before the write transaction: a body that fails them never takes the write lock."""

    result: ImportResult = field(default_factory=ImportResult)
    seen_hashes: set[tuple[str, str]] = field(default_factory=set)
    seen_external: set[str] = field(default_factory=set)

    def add(self, number: int, item: NewEntry | SharedhashError) -> bool:
        """Check one parsed line; False if it is bad (recorded in ``result.errors``)."""
        self.result.lines = number
        if isinstance(item, SharedhashError):
            self.result.add_error(number, item)
            return False
        # The rule of _import below: a line whose hashes came earlier is "existing", not a duplicate id.
        keys = {(h.hash_type, h.value) for h in item.hashes}
        if not keys.isdisjoint(self.seen_hashes):
            self.seen_hashes.update(keys)
            return True
        if item.external_id and item.external_id in self.seen_external:
            self.result.add_error(number, DuplicateExternalIdError(f"external id {item.external_id!r} is used twice"))
            return False
        self.seen_hashes.update(keys)
        if item.external_id:
            self.seen_external.add(item.external_id)
        return True


def import_entries(
    session: Session,
    caller: Caller,
    list_id: int,
    parsed: Iterable[tuple[int, NewEntry | SharedhashError]],
    *,
    presence: PresenceHint | None = None,
) -> ImportResult:
    """Write parsed entries to a list in batches; the caller commits only if ``result.errors`` is empty.

    ``presence`` (the server's in-memory indexes) narrows which values the duplicate check reads from the
    database; it is asked with the list's ``last_seq`` as locked by this transaction, so it can tell whether it
    has seen every change of the list.
    """
    hash_list = get_writable_list(session, caller, list_id)
    writer = BulkWriter(session, background=True)
    try:
        result = _import(session, caller, hash_list.id, hash_list.last_seq, parsed, writer, presence)
        writer.finish()
    finally:
        writer.close()
    return result


def _import(
    session: Session,
    caller: Caller,
    list_id: int,
    last_seq: int,
    parsed: Iterable[tuple[int, NewEntry | SharedhashError]],
    writer: BulkWriter,
    presence: PresenceHint | None,
) -> ImportResult:
    result = ImportResult()
    # Keys seen earlier in this import: the database check below also sees this transaction's own rows, but
    # after the first bad line nothing more is written, and duplicates must still be told apart from new lines.
    seen_hashes: set[tuple[str, str]] = set()
    seen_external: set[str] = set()
    batch: list[tuple[int, NewEntry]] = []

    def flush() -> None:
        if not batch:
            return
        by_type: dict[str, list[str]] = {}
        for _, e in batch:
            for h in e.hashes:
                by_type.setdefault(h.hash_type, []).append(h.value)
        present: set[tuple[str, str]] = set()
        for t, values in by_type.items():
            # Values this import wrote in earlier batches are in `seen_hashes`, not in the hint.
            maybe = presence(list_id, last_seq, t, values) if presence is not None else None
            present.update((t, v) for v in writer.active_values(list_id, t, values if maybe is None else maybe))
        externals = [e.external_id for _, e in batch if e.external_id]
        taken = writer.taken_external_ids(list_id, externals)
        fresh: list[NewEntry] = []
        for number, new in batch:
            keys = {(h.hash_type, h.value) for h in new.hashes}
            if not keys.isdisjoint(present) or not keys.isdisjoint(seen_hashes):
                result.existing += 1
                seen_hashes.update(keys)
                continue
            if new.external_id and (new.external_id in taken or new.external_id in seen_external):
                result.add_error(number, DuplicateExternalIdError(f"external id {new.external_id!r} is used twice"))
                continue
            seen_hashes.update(keys)
            if new.external_id:
                seen_external.add(new.external_id)
            fresh.append(new)
        batch.clear()
        if result.errors or not fresh:
            return
        ids = insert_entries(session, caller, list_id, fresh, hash_rows=result.hash_rows, writer=writer)
        result.created += len(ids)
        result.entry_ids.extend(ids)

    for number, item in parsed:
        result.lines += 1
        if isinstance(item, SharedhashError):
            result.add_error(number, item)
            continue
        batch.append((number, item))
        if len(batch) >= BATCH:
            flush()
    flush()
    result.seq_range = writer.seq_ranges.get(list_id)
    return result


def iter_snapshots(session: Session, list_id: int, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every active entry of a list as its snapshot, by id, read in batches (no visibility check: do it first)."""
    last = 0
    while True:
        entries = list(
            session.scalars(
                select(Entry)
                .where(Entry.list_id == list_id, Entry.deleted_at.is_(None), Entry.id > last)
                .order_by(Entry.id)
                .limit(batch)
            )
        )
        if not entries:
            return
        hashes = active_hashes(session, [e.id for e in entries])
        for e in entries:
            yield snapshot(e, hashes[e.id])
        last = entries[-1].id
        session.expunge_all()


def export_jsonl(snapshots: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON line per entry."""
    for snap in snapshots:
        yield json.dumps(snap, separators=(",", ":")) + "\n"


class _Times:
    """Stored timestamps as :meth:`datetime.isoformat` of the aware UTC time (what :func:`snapshot` writes), each
    distinct value converted once (SQLite gives SQLAlchemy's text form, PostgreSQL a datetime)."""

    def __init__(self) -> None:
        self._seen: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        found = self._seen.get(value)
        if found is None:
            when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
            found = self._seen[value] = when.isoformat()
        return found


class _LabelsJson:
    """Stored labels as the compact JSON text an export line carries, each distinct value converted once."""

    def __init__(self) -> None:
        self._seen: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        key = value if isinstance(value, str) or value is None else json.dumps(value)
        found = self._seen.get(key)
        if found is None:
            labels = load_json(value) if isinstance(value, str) else value
            found = self._seen[key] = json.dumps(list(labels or []), separators=(",", ":"))
        return found


def _by_type_value(h: tuple[str, str, int | None]) -> tuple[str, str]:
    return h[0], h[1]


def iter_snapshot_lines(session: Session, list_id: int, batch: int = BATCH) -> Iterator[str]:
    """Every active entry of a list as the JSON line :func:`export_jsonl` writes of its snapshot (the same text),
    built from rows read through the driver, without ORM objects or dicts (no visibility check: do it first).

    Measured in ``bench/hub.py --export`` (docs/benchmarks.md): the ORM path cost ~7x the feed per entry."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    postgres = session.get_bind().dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    # PostgreSQL: times and labels as text (decoding them per row cost more than building the line).
    cast = "::text" if postgres else ""
    entries_sql = (
        f"SELECT id, classification, labels{cast}, external_id, contributor, created_at{cast}, updated_at{cast}"  # noqa: S608
        f" FROM entries WHERE list_id = {mark} AND deleted_at IS NULL AND id > {mark} ORDER BY id LIMIT {mark}"
    )
    hashes_sql = (
        "SELECT entry_id, hash_type, value, quality FROM entry_hashes"  # noqa: S608 (placeholders only)
        f" WHERE list_id = {mark} AND deleted_at IS NULL AND entry_id >= {mark} AND entry_id <= {mark}"
    )
    times, labels = _Times(), _LabelsJson()
    texts: dict[Any, str] = {}
    starts: dict[str, str] = {}
    encode: Any = json_str

    def text(value: str | None) -> str:
        found = texts.get(value)
        if found is None:
            found = texts[value] = json_str(value)
        return found

    def start(hash_type: str) -> str:
        found = starts.get(hash_type)
        if found is None:
            found = starts[hash_type] = f'{{"hash_type":{json_str(hash_type)},"value":'
        return found

    head = f',"list_id":{list_id},"hashes":['
    last = 0
    try:
        while True:
            cursor.execute(entries_sql, (list_id, last, batch))
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.execute(hashes_sql, (list_id, rows[0][0], rows[-1][0]))
            found: dict[int, list[tuple[str, str, int | None]]] = {}
            for entry_id, hash_type, value, quality in cursor.fetchall():
                held = found.get(entry_id)
                if held is None:
                    found[entry_id] = [(hash_type, value, quality)]
                else:
                    held.append((hash_type, value, quality))
            for entry_id, classification, raw_labels, external_id, contributor, created, updated in rows:
                held = found.get(entry_id, [])
                if len(held) > 1:
                    held.sort(key=_by_type_value)
                parts = ",".join(
                    (starts.get(t) or start(t)) + encode(v) + ("}" if q is None else f',"quality":{q}}}')
                    for t, v, q in held
                )
                yield (
                    f'{{"id":{entry_id}{head}{parts}],'
                    f'"classification":{texts.get(classification) or text(classification)},'
                    f'"labels":{labels(raw_labels)},"external_id":{encode(external_id)},'
                    f'"contributor":{texts.get(contributor) or text(contributor)},'
                    f'"created_at":"{times(created)}","updated_at":"{times(updated)}"}}\n'
                )
            last = rows[-1][0]
    finally:
        cursor.close()


def iter_snapshot_dicts(session: Session, list_id: int, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """:func:`iter_snapshot_lines` as dicts (the CSV export reads them)."""
    for line in iter_snapshot_lines(session, list_id, batch):
        yield orjson.loads(line)


_NEEDS_QUOTES = re.compile(r'[,;"\r\n]')


def _csv_line(cells: list[str]) -> str:
    """One CSV line: as :func:`csv.writer` writes it (minimal quoting), but cells holding ``;`` are quoted too (vpdq
    values and label lists), so tools that split on semicolons (a common CSV dialect) keep them whole."""
    return ",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(c) else c for c in cells) + "\n"


def export_csv(snapshots: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV rows in the import format (one column per hash type, several values joined with ``|``); cells with
    commas or semicolons (vpdq values, label lists) are quoted."""
    types = hash_type_names()
    gated = {t for t in types if get_hash_type(t).quality_gated}
    columns = ["external_id", "classification", "labels", *types, "pdq_quality"]
    yield _csv_line(columns)
    for snap in snapshots:
        by_type: dict[str, list[str]] = {}
        quality = ""
        for h in snap["hashes"]:
            by_type.setdefault(h["hash_type"], []).append(h["value"])
            if h["hash_type"] in gated and h.get("quality") is not None:
                quality = str(h["quality"])
        yield _csv_line(
            [snap["external_id"] or "", snap["classification"] or "", ";".join(snap["labels"])]
            + ["|".join(by_type.get(t, [])) for t in types]
            + [quality]
        )
