"""The fast write and read paths: bulk rows through the driver, snapshot JSON text, the feed page as text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from sharedhash.errors import SharedhashError
from sharedhash.store.bulk import export_jsonl, import_entries, iter_snapshots, parse_csv, parse_jsonl
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry, insert_entries, iter_active_hash_columns, list_entries, remove_entry
from sharedhash.store.feed import read_feed, read_feed_json
from sharedhash.store.lists import create_list, get_readable_list
from sharedhash.store.models import utcnow
from sharedhash.store.snapshots import snapshot_json, snapshot_of
from sharedhash.store.validation import HashChecker, validate_hash
from tests.support.store import entry, make_org, md5, pdq

#: Text that COPY, SQL and JSON each treat specially: backslashes, tabs, newlines, quotes, non-ASCII, \N.
AWKWARD = ["back\\slash", "tab\there", "new\nline\r\n", "quote \" and '", "zorblax ü 🙂", "\\N", "x\\.y"]


def test_snapshot_json_is_the_snapshot() -> None:
    now = utcnow()
    hashes = [("pdq", pdq(1), 90), ("md5", md5(2), None), ("md5", md5(1), None)]
    for labels, external_id, classification in [([], None, None), (AWKWARD, AWKWARD[2], "B2")]:
        text = snapshot_json(
            7,
            3,
            hashes,
            classification=classification,
            labels_json=json.dumps(labels),
            external_id=external_id,
            contributor='quuxvid \\ "org"',
            created_at=now.isoformat(),
            updated_at=now.isoformat(),
        )
        from sharedhash.store.validation import HashValue

        expected = snapshot_of(
            7,
            3,
            [HashValue(t, v, q) for t, v, q in hashes],
            classification=classification,
            labels=labels,
            external_id=external_id,
            contributor='quuxvid \\ "org"',
            created_at=now,
            updated_at=now,
        )
        assert json.loads(text) == expected
        assert text.isascii()


def test_hash_checker_agrees_with_validate_hash() -> None:
    check = HashChecker(min_quality=50)
    values = [
        ("pdq", pdq(1), 90),
        ("pdq", pdq(1).upper(), None),
        ("md5", " " + md5(3) + " ", None),
        ("sha1", "a" * 40, None),
        ("sha256", "B" * 64, 100),
    ]
    for hash_type, value, quality in values:
        assert check(hash_type, value, quality) == validate_hash(hash_type, value, quality, min_quality=50)
    bad = [
        ("pdq", pdq(1), 20),
        ("pdq", pdq(1), 101),
        ("md5", "g" * 32, None),
        ("md5", md5(1)[:-1], None),
        ("zorblax", md5(1), None),
        ("sha1", md5(1), None),
        ("md5", md5(1), -1),
    ]
    for hash_type, value, quality in bad:
        with pytest.raises(SharedhashError) as fast:
            check(hash_type, value, quality)
        with pytest.raises(SharedhashError) as slow:
            validate_hash(hash_type, value, quality, min_quality=50)
        assert (fast.value.code, fast.value.message) == (slow.value.code, slow.value.message)


def _lines(n: int, start: int = 0, **extra: Any) -> list[str]:
    return [
        json.dumps(
            {
                "hashes": [{"hash_type": "pdq", "value": pdq(i), "quality": 90}, {"hash_type": "md5", "value": md5(i)}],
                "labels": ["quuxvid"],
                **extra,
            }
        )
        + "\n"
        for i in range(start, start + n)
    ]


def test_awkward_text_survives_import_export_and_the_feed(db: Database) -> None:
    owner = make_org(db, 'quuxvid\\\t"org"')
    with db.writing() as s:
        lst = create_list(s, owner, "main")
    lines = [
        json.dumps(
            {
                "hashes": [{"hash_type": "md5", "value": md5(i)}],
                "labels": [label],
                "external_id": label,
                "classification": "A2",
            }
        )
        + "\n"
        for i, label in enumerate(AWKWARD)
    ]
    with db.writing() as s:
        result = import_entries(s, owner, lst.id, parse_jsonl(lines))
    assert (result.created, result.errors) == (len(AWKWARD), [])
    with db.reading() as s:
        snaps = list(iter_snapshots(s, lst.id))
        page = read_feed(s, get_readable_list(s, owner, lst.id), None, 100)
        body = json.loads(read_feed_json(s, get_readable_list(s, owner, lst.id), None, 100))
    assert [s["labels"] for s in snaps] == [[label.strip()] for label in AWKWARD]
    assert [s["external_id"] for s in snaps] == [label.strip() for label in AWKWARD]
    assert snaps[0]["contributor"] == 'quuxvid\\\t"org"'
    assert [c.entry for c in page.changes] == snaps == [c["entry"] for c in body["changes"]]
    # What was exported imports back into another list as the same entries.
    with db.writing() as s:
        other = create_list(s, owner, "copy")
        again = import_entries(s, owner, other.id, parse_jsonl(list(export_jsonl(snaps))))
    assert again.created == len(AWKWARD)


def test_feed_json_is_the_feed_page(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        import_entries(s, owner, lst.id, parse_jsonl(_lines(20)))
        view, _ = add_entry(s, owner, lst.id, entry(("md5", md5(999))))
        remove_entry(s, owner, view.entry.id)
    cursor = None
    seen = 0
    while True:
        with db.reading() as s:
            hash_list = get_readable_list(s, owner, lst.id)
            page = read_feed(s, hash_list, cursor, 6)
            body = json.loads(read_feed_json(s, hash_list, cursor, 6))
        assert body["list_id"] == lst.id
        assert body["next_cursor"] == page.next_cursor
        assert body["has_more"] == page.has_more
        assert body["last_seq"] == page.last_seq == 22
        assert [(c["seq"], c["kind"], c["entry_id"], c["entry"]) for c in body["changes"]] == [
            (c.seq, c.kind, c.entry_id, c.entry) for c in page.changes
        ]
        assert [c["time"] for c in body["changes"]] == [
            c.created_at.isoformat().replace("+00:00", "Z") for c in page.changes
        ]
        seen += len(page.changes)
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert seen == 22


def test_import_into_a_list_with_entries_checks_every_batch(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import sharedhash.store.bulk as bulk

    monkeypatch.setattr(bulk, "BATCH", 7)
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        first = import_entries(s, owner, lst.id, parse_jsonl(_lines(30)))
    assert (first.created, first.existing) == (30, 0)
    # Half already there, some twice in the same body, one sharing only its md5 with a stored entry.
    lines = _lines(30, start=15) + _lines(5, start=40)
    lines.append(
        json.dumps(
            {"hashes": [{"hash_type": "pdq", "value": pdq(500), "quality": 90}, {"hash_type": "md5", "value": md5(3)}]}
        )
        + "\n"
    )
    with db.writing() as s:
        second = import_entries(s, owner, lst.id, parse_jsonl(lines))
    assert (second.created, second.existing, second.errors) == (15, 21, [])
    assert len(second.hash_rows) == 30
    with db.reading() as s:
        assert len(list_entries(s, owner, lst.id, limit=1000)) == 45
        columns = list(iter_active_hash_columns(s, batch=11))
    ids = [i for batch in columns for i in batch[0]]
    assert ids == sorted(ids)
    assert len(ids) == 90
    values = {(t, v) for batch in columns for t, v in zip(batch[1], batch[2], strict=True)}
    assert values == {(t, v) for i in range(45) for t, v in (("pdq", pdq(i)), ("md5", md5(i)))}


def test_csv_and_jsonl_imports_agree(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        a = create_list(s, owner, "a")
        b = create_list(s, owner, "b")
        import_entries(s, owner, a.id, parse_jsonl(_lines(10)))
        rows = ["pdq,pdq_quality,md5,labels"] + [f"{pdq(i).upper()},90,{md5(i)},quuxvid" for i in range(10)]
        import_entries(s, owner, b.id, parse_csv([r + "\n" for r in rows]))
    with db.reading() as s:
        strip = ("id", "list_id", "created_at", "updated_at")
        got_a = [{k: v for k, v in x.items() if k not in strip} for x in iter_snapshots(s, a.id)]
        got_b = [{k: v for k, v in x.items() if k not in strip} for x in iter_snapshots(s, b.id)]
    assert got_a == got_b
    assert len(got_a) == 10


def test_insert_entries_reports_the_hash_rows_it_wrote(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        rows: list[tuple[int, str, str, int, int, bool]] = []
        ids = insert_entries(
            s, owner, lst.id, [entry(("md5", md5(1)), ("pdq", pdq(1))), entry(("md5", md5(2)))], hash_rows=rows
        )
    with db.reading() as s:
        stored = sorted(
            (hid, t, v, lid, eid, True)
            for batch in iter_active_hash_columns(s)
            for hid, t, v, lid, eid in zip(*batch, strict=True)
        )
    assert sorted(rows) == stored
    assert {r[4] for r in rows} == set(ids)


def test_copy_formatters_agree_with_the_generic_form() -> None:
    from sharedhash.store.copytext import FORMATTERS as _FORMATTERS
    from sharedhash.store.copytext import copy_text as _copy_text

    stamp = utcnow().isoformat()
    plain: dict[str, list[tuple[Any, ...]]] = {
        "entries": [(1, 2, 3, "quuxvid", "A1", '["zorblax"]', "case-1", None, stamp, stamp),
                    (4, 2, 3, "quuxvid", None, "[]", None, 77, stamp, stamp)],
        "entry_hashes": [(5, 1, 2, "pdq", pdq(1), 90, stamp), (6, 1, 2, "md5", md5(1), None, stamp)],
        "changes": [(2, 1, "add", 1, '{"id":1}', stamp), (2, 2, "tombstone", 4, None, stamp)],
        "checks": [(1, 2, "ab" * 32, "c-1", "image", "u-1", stamp, "https://example.test/1", '["zorblax"]',
                    f'[{{"type":"pdq","value":"{pdq(1)}"}}]', True, '["review"]', stamp),
                   (2, 2, "cd" * 32, "c-2", "other", None, None, None, "[]", "[]", False, "[]", stamp)],
        "check_hashes": [(1, 1, 2, "pdq", pdq(1), stamp), (2, 1, 2, "md5", md5(1), stamp)],
        "matches": [(1, 1, 2, 3, 4, "pdq", 5, False, '{"list_name":"known"}', None, '["review"]', stamp),
                    (2, 1, 2, 3, 5, "md5", 0, True, "{}", "block", "[]", stamp)],
        "review_items": [(1, 2, 3, 1, 1, 0, "open", stamp), (2, 2, 3, 2, None, 5, "open", stamp)],
    }  # fmt: skip
    # The field of each table that gets an awkward value below (free text, or a value the hub checks).
    where = {"entries": 6, "checks": 3, "matches": 8, "review_items": 6}
    for table, rows in plain.items():
        assert _FORMATTERS[table](rows) == _copy_text(rows)
        # One field needing an escape sends the whole piece the generic way.
        for awkward in AWKWARD:
            row = list(rows[0])
            row[where.get(table, 4)] = awkward
            mixed = [tuple(row), *rows[1:]]
            assert _FORMATTERS[table](mixed) == _copy_text(mixed)


def test_copy_escape_search_is_the_four_characters() -> None:
    """Whether a text needs COPY's escapes: exactly when it holds a backslash, tab, newline or carriage return (as
    the regular expression it replaced found), each escaped by the generic form whatever else the text holds."""
    import re

    from sharedhash.store.copytext import _special
    from sharedhash.store.copytext import copy_text as _copy_text

    pattern = re.compile(r"[\\\t\n\r]")
    texts = [*AWKWARD, "", "plain", "a\x00b", "\x0b\x0c", "\u2028", "\u0085", "\\", "\t", "\n", "\r", "x" * 600 + "\r"]
    for text in texts:
        assert _special(text) == bool(pattern.search(text)), text
    row = (1, "back\\slash", "tab\there", "new\nline\r\n", None, "zorblax")
    assert _copy_text([row]) == "1\tback\\\\slash\ttab\\there\tnew\\nline\\r\\n\t\\N\tzorblax\n"


def test_unnest_formatters_agree_with_the_generic_form() -> None:
    """The per-column makers of PostgreSQL's one-statement insert (numbers unquoted, text joined and searched once)
    give each column's array as the element-by-element form does (the same elements as PostgreSQL's array input
    reads them), whatever the values: awkward text, None among text, a column of None, and values of another type
    than the column's (taken element by element)."""
    from sharedhash.store.bulkwrite import _any_array, _unnest_formatter

    stamp = utcnow().isoformat()
    tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {
        "checks": (
            ("org_id", "idempotency_key", "content_id", "content_type", "uploader_id", "uploaded_at", "url", "labels",
             "hashes", "matched", "actions", "created_at"),
            [(None, 2, "ab" * 32, "c-1", "image", "u-1", stamp, "https://example.test/1", '["zorblax"]',
              f'[{{"type":"pdq","value":"{pdq(1)}"}}]', True, '["review"]', stamp),
             (None, 2, "cd" * 32, "c-2", "other", None, None, None, "[]", "[]", False, "[]", stamp)],
        ),
        "check_hashes": (
            ("check_id", "org_id", "hash_type", "value", "created_at"),
            [(None, 1, 2, "pdq", pdq(1), stamp), (None, 1, 2, "md5", md5(1), stamp)],
        ),
        "matches": (
            ("check_id", "org_id", "list_id", "entry_id", "hash_type", "distance", "retroactive", "details", "rule",
             "actions", "created_at"),
            [(None, 1, 2, 3, 4, "pdq", 5, False, '{"list_name":"known"}', None, '["review"]', stamp),
             (None, 1, 2, 3, 5, "md5", 0, True, "{}", "block", "[]", stamp)],
        ),
        "review_items": (
            ("org_id", "queue_id", "check_id", "match_id", "priority", "state", "created_at"),
            [(None, 2, 3, 1, 1, 0, "open", stamp), (None, 2, 3, 2, None, -5, "open", stamp)],
        ),
    }  # fmt: skip
    odd: list[Any] = [None, "", "NULL", "{a,b}", " padded ", "a,b", '"', "\\", '\\"', "a\x00b", 7, -3, True, 2.5]
    odd += AWKWARD
    for table, (columns, rows) in tables.items():
        params = _unnest_formatter(table, columns)

        def generic(rows: list[tuple[Any, ...]], columns: tuple[str, ...] = columns) -> list[list[str | None]]:
            return [_array_input(_any_array([row[n] for row in rows])) for n in range(1, len(columns) + 1)]

        def made(rows: list[tuple[Any, ...]], params: Any = params) -> list[list[str | None]]:
            return [_array_input(text) for text in params(rows)]

        assert made(rows) == generic(rows)
        assert made(rows[:1]) == generic(rows[:1])
        # Any column given any value, in the first row or in all of them.
        for n in range(1, len(columns) + 1):
            for value in odd:
                one = [(*rows[0][:n], value, *rows[0][n + 1 :]), *rows[1:]]
                assert made(one) == generic(one), (table, columns[n - 1], value)
                every = [(*row[:n], value, *row[n + 1 :]) for row in rows]
                assert made(every) == generic(every), (table, columns[n - 1], value)


def _array_input(text: str) -> list[str | None]:
    """The elements of a one-dimensional array's text input as PostgreSQL reads them (``array_in``): quoted
    elements with backslash escapes, unquoted ones (spaces at their ends dropped, ``NULL`` a null)."""
    assert text.startswith("{"), text
    assert text.endswith("}"), text
    out: list[str | None] = []
    n, end = 1, len(text) - 1
    while n < end:
        if text[n] == '"':
            n += 1
            chars = []
            while text[n] != '"':
                if text[n] == "\\":
                    n += 1
                chars.append(text[n])
                n += 1
            out.append("".join(chars))
            n += 1
        else:
            stop = text.find(",", n)
            stop = end if stop < 0 else stop
            bare = text[n:stop].strip()
            assert bare, text
            assert not set(bare) & set('"\\{}'), text
            out.append(None if bare.upper() == "NULL" else bare)
            n = stop
        assert n == end or text[n] == ",", text
        n += 1
    return out


def test_an_import_of_many_batches_keeps_ids_and_the_feed_dense(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches, COPY pieces and id blocks: ids are reserved in growing blocks and the list's last_seq is
    counted by the writer (PostgreSQL) or bumped per batch (SQLite); either way the feed stays dense and later
    writes carry on after it."""
    import sharedhash.store.bulk as bulk
    import sharedhash.store.bulkwrite as bulkwrite

    monkeypatch.setattr(bulk, "BATCH", 7)
    monkeypatch.setattr(bulkwrite, "_COPY_PIECE", 3)
    monkeypatch.setattr(bulkwrite, "_MAX_ID_BLOCK", 16)
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        first = import_entries(s, owner, lst.id, parse_jsonl(_lines(100)))
    assert (first.created, first.seq_range) == (100, (1, 100))
    assert len(set(first.entry_ids)) == 100
    with db.writing() as s:
        second = import_entries(s, owner, lst.id, parse_jsonl(_lines(30, start=100)))
        view, _ = add_entry(s, owner, lst.id, entry(("md5", md5(999))))
    assert second.seq_range == (101, 130)
    assert not set(second.entry_ids) & set(first.entry_ids)
    with db.reading() as s:
        hash_list = get_readable_list(s, owner, lst.id)
        page = read_feed(s, hash_list, None, 1000)
    assert hash_list.last_seq == 131
    assert [c.seq for c in page.changes] == list(range(1, 132))
    assert [c.entry_id for c in page.changes] == [*first.entry_ids, *second.entry_ids, view.entry.id]
    assert [c.entry["id"] for c in page.changes if c.entry] == [c.entry_id for c in page.changes]


def test_a_write_that_fails_during_an_import_leaves_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A presence hint that wrongly says a stored value is new makes the database refuse a row (on PostgreSQL,
    in the background COPY thread, batches after the one that failed): the error reaches the import's caller and
    the rollback leaves the list as it was."""
    import sqlite3

    import psycopg

    import sharedhash.store.bulk as bulk

    monkeypatch.setattr(bulk, "BATCH", 5)
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        import_entries(s, owner, lst.id, parse_jsonl(_lines(3, start=20)))
    lines = _lines(20) + _lines(1, start=21) + _lines(20, start=30)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)), db.writing() as s:
        import_entries(s, owner, lst.id, parse_jsonl(lines), presence=lambda _l, _s, _t, _v: [])
    with db.reading() as s:
        hash_list = get_readable_list(s, owner, lst.id)
        assert hash_list.last_seq == 3
        assert len(list_entries(s, owner, lst.id, limit=100)) == 3
    # The list takes writes as before.
    with db.writing() as s:
        again = import_entries(s, owner, lst.id, parse_jsonl(lines))
    assert (again.created, again.existing, again.seq_range) == (40, 1, (4, 43))


@pytest.mark.parametrize("rows", [3, 300])
def test_insert_rows_gives_each_row_its_id_in_order(db: Database, rows: int) -> None:
    """A few rows (one ``INSERT ... unnest`` on PostgreSQL) and many (ids drawn first, then COPY): the ids come back
    in the rows' order, and every value (awkward text, None, JSON, a time, a boolean) is stored as given."""
    from sqlalchemy import select

    from sharedhash.store.bulkwrite import BulkWriter
    from sharedhash.store.models import AuditEvent

    now = utcnow()
    texts = [AWKWARD[n % len(AWKWARD)] + f" {n}" for n in range(rows)]
    details = [{"n": n, "text": texts[n], "flag": n % 2 == 0} for n in range(rows)]
    with db.writing() as s:
        writer = BulkWriter(s)
        try:
            at = writer.db_time(now)

            def make(ids: Sequence[int | None]) -> list[tuple[Any, ...]]:
                return [
                    (ids[n], None if n % 3 else n, n, texts[n], "", n, json.dumps(d), at) for n, d in enumerate(details)
                ]

            columns = ("org_id", "key_id", "action", "target", "count", "detail", "created_at")
            ids = writer.insert_rows("audit_events", columns, rows, make)
        finally:
            writer.close()
    assert ids == sorted(ids)
    assert len(set(ids)) == rows
    with db.reading() as s:
        stored = {e.id: e for e in s.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)))}
    for n, row_id in enumerate(ids):
        event = stored[row_id]
        assert (event.org_id, event.key_id, event.action, event.count) == (None if n % 3 else n, n, texts[n], n)
        assert event.detail == details[n]
        assert event.created_at == now


def test_insert_rows_keeps_text_that_array_input_treats_specially(db: Database) -> None:
    """PostgreSQL's one-statement insert sends each column as an array's text input: text spelled like NULL, empty,
    with braces, commas, spaces at its ends, quotes or backslashes is stored as given (and None as NULL)."""
    from sqlalchemy import select

    from sharedhash.store.bulkwrite import BulkWriter
    from sharedhash.store.models import AuditEvent

    texts = ["NULL", "null", "", "{a,b}", " padded ", "a,b", '"', "\\", '\\"', "{", "}", *AWKWARD]
    targets: list[str | None] = [None if n % 2 else t for n, t in enumerate(texts)]
    with db.writing() as s:
        writer = BulkWriter(s)
        try:
            at = writer.db_time(utcnow())
            columns = ("org_id", "key_id", "action", "target", "count", "detail", "created_at")
            ids = writer.insert_rows(
                "audit_events",
                columns,
                len(texts),
                lambda ids: [(ids[n], None, None, t, targets[n] or "", n, "{}", at) for n, t in enumerate(texts)],
            )
        finally:
            writer.close()
    with db.reading() as s:
        stored = {e.id: e for e in s.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)))}
    assert [(stored[i].action, stored[i].target) for i in ids] == [(t, targets[n] or "") for n, t in enumerate(texts)]


def test_insert_rows_refuses_a_value_too_long_for_its_column(db: Database) -> None:
    """PostgreSQL's one-statement insert of a few rows refuses an over-long text as COPY does (never cut short)."""
    from sharedhash.store.bulkwrite import BulkWriter

    if db.is_sqlite:
        pytest.skip("SQLite keeps text of any length")
    columns = ("org_id", "key_id", "action", "target", "count", "detail", "created_at")

    def write() -> None:
        with db.writing() as s:
            writer = BulkWriter(s)
            try:
                at = writer.db_time(utcnow())
                writer.insert_rows(
                    "audit_events", columns, 1, lambda _: [(None, None, None, "z" * 65, "", 0, "{}", at)]
                )
            finally:
                writer.close()

    with pytest.raises(Exception, match="too long"):
        write()


@pytest.mark.parametrize("rows", [3, 300])
def test_insert_rows_runs_the_callers_work_with_the_ids(db: Database, rows: int) -> None:
    """``meanwhile`` gets the rows' ids once (during a COPY on PostgreSQL: after the last row is sent, before the
    server is waited for); an error there fails the insert, and the transaction leaves nothing."""
    from sqlalchemy import func, select

    from sharedhash.store.bulkwrite import BulkWriter
    from sharedhash.store.models import AuditEvent

    columns = ("org_id", "key_id", "action", "target", "count", "detail", "created_at")

    def write(meanwhile: Any) -> list[int]:
        with db.writing() as s:
            writer = BulkWriter(s)
            try:
                at = writer.db_time(utcnow())

                def make(ids: Sequence[int | None]) -> list[tuple[Any, ...]]:
                    return [(ids[n], None, None, "zorblax.meanwhile", "", n, "{}", at) for n in range(rows)]

                return writer.insert_rows("audit_events", columns, rows, make, meanwhile)
            finally:
                writer.close()

    def stored() -> int:
        with db.reading() as s:
            return int(s.scalar(select(func.count()).where(AuditEvent.action == "zorblax.meanwhile")) or 0)

    seen: list[list[int]] = []
    ids = write(seen.append)
    assert seen == [ids]
    assert len(ids) == rows
    assert stored() == rows

    def fail(_: list[int]) -> None:
        raise RuntimeError("zorblax: the caller's work failed")

    with pytest.raises(RuntimeError, match="zorblax"):
        write(fail)
    assert stored() == rows  # the failed write's rows are not there
