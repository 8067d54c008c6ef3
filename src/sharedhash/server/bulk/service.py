"""Bulk import and export of a list's entries (JSON lines or CSV).

An import body has been spooled to a temporary file by the endpoint (after the list's permission was checked); it is
read line by line (parsed in a second thread) and checked outside any transaction, then written in one transaction,
so 100,000 entries take one request, a bad line leaves nothing written, and parsing never holds the write lock. The
indexes take the written hashes over at the commit. Queries are in :mod:`sharedhash.store.bulk`.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import IO

from sharedhash.errors import InvalidInputError, SharedhashError
from sharedhash.server.bulk.schemas import ImportLineError, ImportOut
from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store.bulk import (
    ImportCheck,
    export_csv,
    import_entries,
    iter_snapshot_dicts,
    iter_snapshot_lines,
    parse_csv,
    parse_jsonl,
)
from sharedhash.store.gc import paused_gc
from sharedhash.store.lists import get_readable_list, get_writable_list
from sharedhash.store.prefetch import prefetched
from sharedhash.store.validation import NewEntry
from sharedhash.store.visibility import Caller


class BulkFormat(StrEnum):
    """Bulk file formats."""

    JSONL = "jsonl"
    CSV = "csv"


def _text_lines(raw: IO[bytes]) -> Iterator[str]:
    reader = codecs.getreader("utf-8")(raw, "strict")
    try:
        yield from reader
    except UnicodeDecodeError:
        raise InvalidInputError("the body is not UTF-8 text") from None


#: Bytes of the spooled body read at a time by the JSON-lines reader.
_READ_BLOCK = 1 << 20


def _json_lines(raw: IO[bytes]) -> Iterator[str]:
    """JSON lines split at LF only, as the format says (a codecs reader also splits at U+2028 and other Unicode
    line breaks, which may stand inside a JSON string). The body is read and decoded a megabyte at a time: read
    line by line, each of the file's small reads let the parsing thread give up the GIL and wait to get it back
    (measured: 11% of the import's busy time in the last imports of a 1M-entry load)."""
    rest: list[bytes] = []  # the start of a line that goes on in the next block
    while block := raw.read(_READ_BLOCK):
        cut = block.rfind(b"\n") + 1
        if not cut:
            rest.append(block)
            continue
        whole = b"".join([*rest, block[:cut]]) if rest else block[:cut]
        rest = [block[cut:]]
        yield from _decoded(whole).split("\n")[:-1]
    if any(rest):
        yield _decoded(b"".join(rest))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the body is not UTF-8 text") from None


#: Entries of an import kept in memory between its check and its write (a larger import is parsed again for the
#: write: bounded memory, at the cost of parsing twice).
KEEP_PARSED = 50_000
#: Lines between two looks at whether the client went away.
_CANCEL_EVERY = 1000


class ImportCancelled(Exception):
    """The client went away during an import: nothing was written."""


def check_import_allowed(state: HubState, caller: Caller, list_id: int) -> None:
    """Refuse (404/403) an import into a list the caller may not contribute to, before its body is read."""
    with state.db.reading() as session:
        get_writable_list(session, caller, list_id)


def _lines(fmt: BulkFormat, spool: IO[bytes]) -> Iterator[str]:
    return _json_lines(spool) if fmt is BulkFormat.JSONL else _text_lines(spool)


def _parse(fmt: BulkFormat, spool: IO[bytes], min_quality: int) -> Iterator[tuple[int, NewEntry | SharedhashError]]:
    lines = _lines(fmt, spool)
    return parse_jsonl(lines, min_quality) if fmt is BulkFormat.JSONL else parse_csv(lines, min_quality)


def _watched(
    parsed: Iterable[tuple[int, NewEntry | SharedhashError]], cancelled: threading.Event | None
) -> Iterator[tuple[int, NewEntry | SharedhashError]]:
    for count, item in enumerate(parsed):
        if cancelled is not None and count % _CANCEL_EVERY == 0 and cancelled.is_set():
            raise ImportCancelled
        yield item


def run_import(
    state: HubState,
    caller: Caller,
    list_id: int,
    fmt: BulkFormat,
    spool: IO[bytes],
    cancelled: threading.Event | None = None,
) -> ImportOut:
    """Add every entry of ``spool`` to the list, all or nothing; audited, and indexed at the commit.

    Every line is parsed and checked first, outside any transaction (issue 18 F3): a body with bad lines is
    answered without ever taking the database's write lock, and other writers never wait on parsing. Only a body
    whose every line is well-formed is written, in one transaction (where the checks that need the database run:
    hashes already in the list, external ids taken). ``cancelled`` (set when the client goes away) stops the
    import at the next thousand lines, and nothing is written."""
    min_quality = state.settings.pdq_min_quality
    check = ImportCheck()
    kept: list[tuple[int, NewEntry | SharedhashError]] | None = []
    with paused_gc():
        for number, item in _watched(prefetched(_parse(fmt, spool, min_quality)), cancelled):
            if not check.add(number, item):
                kept = None
            elif kept is not None:
                kept.append((number, item))
                if len(kept) > KEEP_PARSED:
                    kept = None
    checked = check.result
    if checked.errors:
        return ImportOut(
            committed=False,
            lines=checked.lines,
            created=0,
            existing=0,
            errors=[ImportLineError(**e) for e in checked.errors],
            errors_truncated=checked.errors_truncated,
        )
    if kept is None:
        spool.seek(0)
    parsed = _watched(kept if kept is not None else prefetched(_parse(fmt, spool, min_quality)), cancelled)
    with state.caches.entries.bulk_write(), paused_gc(), state.db.write_sessions() as session:
        session.begin()
        result = import_entries(session, caller, list_id, parsed, presence=state.indexes.values_maybe_in)
        committed = not result.errors
        if committed:
            audit.record(
                session,
                caller,
                "list.import",
                target=f"list:{list_id}",
                count=result.created,
                detail={"lines": result.lines, "existing": result.existing, "format": fmt.value},
            )
            with state.indexes.handing_over():
                session.commit()
                state.indexes.add_written(result.hash_rows, list_id=list_id, seq_range=result.seq_range)
        else:
            session.rollback()
    return ImportOut(
        committed=committed,
        lines=result.lines,
        created=result.created if committed else 0,
        existing=result.existing,
        errors=[ImportLineError(**e) for e in result.errors],
        errors_truncated=result.errors_truncated,
    )


def export(state: HubState, caller: Caller, list_id: int, fmt: BulkFormat) -> Iterator[str]:
    """The list's active entries in a form ``import`` accepts. The read access is checked and the export audited
    at once; the returned iterator reads the entries in batches as it is consumed."""
    with state.db.reading() as session:
        get_readable_list(session, caller, list_id)
    with state.db.writing() as session:
        audit.record(session, caller, "list.export", target=f"list:{list_id}", detail={"format": fmt.value})

    def body() -> Iterator[str]:
        with state.db.reading() as session:
            if fmt is BulkFormat.JSONL:
                yield from iter_snapshot_lines(session, list_id)
            else:
                yield from export_csv(iter_snapshot_dicts(session, list_id))

    return body()
