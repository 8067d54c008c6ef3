"""The fast export (rows read through the driver, JSON text built directly) writes exactly what the ORM path
wrote: the same line for every active entry, removed entries and hashes left out (SQLite and PostgreSQL)."""

from __future__ import annotations

from sharedhash.store.bulk import export_jsonl, iter_snapshot_dicts, iter_snapshot_lines, iter_snapshots
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry, remove_entry, remove_hash
from sharedhash.store.lists import create_list
from sharedhash.store.validation import NewEntry, validate_hash
from tests.support.store import make_org, md5, pdq


def test_fast_export_equals_the_orm_export(db: Database) -> None:
    owner = make_org(db, "owner")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        ids = []
        for n in range(30):
            hashes = (validate_hash("pdq", pdq(n), 80 + n % 10), validate_hash("md5", md5(n)))
            labels = ("zorblax", f"plimmerbolt {n % 3}", "ünïcödé ✓") if n % 2 else ()
            new = NewEntry(hashes, "A1" if n % 3 else None, labels, f"ext-{n}-é" if n % 4 else None)
            view, _ = add_entry(s, owner, lst.id, new)
            ids.append(view.entry.id)
        remove_entry(s, owner, ids[5])
        remove_hash(s, owner, ids[6], validate_hash("md5", md5(6)))
    with db.reading() as s:
        reference = list(export_jsonl(iter_snapshots(s, lst.id, batch=7)))
        fast = list(iter_snapshot_lines(s, lst.id, batch=7))
        dicts = list(iter_snapshot_dicts(s, lst.id, batch=7))
        empty = list(iter_snapshot_lines(s, lst.id + 1000))
    assert len(reference) == 29
    assert fast == reference
    assert [d["id"] for d in dicts] == [i for i in ids if i != ids[5]]
    assert empty == []
