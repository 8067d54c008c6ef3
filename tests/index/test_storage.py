"""The on-disk format: round trips by memory-mapping, and every kind of damage fails with CorruptDataError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sharedhash.errors import CorruptDataError, FileAccessError
from sharedhash.index import IndexMatch, Md5Index, PdqIndex, Sha1Index, load_index, storage
from sharedhash.index.storage import MAGIC

A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    index = PdqIndex.from_arrays(rng.integers(0, 256, size=(500, 32), dtype=np.uint8), np.arange(500))
    index.add([A], [1000])
    index.remove([3])
    path = tmp_path / "pdq.shidx"
    index.save(path)
    return path


def test_round_trip_keeps_live_updates_and_stays_updatable(saved: Path) -> None:
    index = PdqIndex.load(saved)
    assert len(index) == 500
    assert index.query(A, 0) == [IndexMatch(0, 1000)]
    assert index.values_of([3]) == [None]
    assert not index._main.rows.flags.writeable  # memory-mapped, not copied
    index.remove([1000])
    index.add([A], [2000])
    assert index.query(A, 0) == [IndexMatch(0, 2000)]
    assert isinstance(load_index(saved), PdqIndex)


def test_exact_round_trip(tmp_path: Path) -> None:
    index = Md5Index()
    index.add(["d41d8cd98f00b204e9800998ecf8427e"], [7])
    index.save(tmp_path / "md5.shidx")
    loaded = load_index(tmp_path / "md5.shidx")
    assert loaded.query("d41d8cd98f00b204e9800998ecf8427e") == [IndexMatch(0, 7)]
    with pytest.raises(CorruptDataError):
        Sha1Index.load(tmp_path / "md5.shidx")


def test_empty_index_round_trip(tmp_path: Path) -> None:
    PdqIndex().save(tmp_path / "empty")
    assert len(PdqIndex.load(tmp_path / "empty")) == 0


def test_flipped_byte_in_data_fails_the_checksum(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[-100] ^= 1
    saved.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="checksum"):
        PdqIndex.load(saved)


@pytest.mark.parametrize("keep", [0, 5, len(MAGIC) + 4, 200, -1])
def test_truncated_files_fail(saved: Path, keep: int) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[:keep] if keep >= 0 else data[:-1])
    with pytest.raises(CorruptDataError):
        PdqIndex.load(saved)


def test_edited_header_fails(saved: Path) -> None:
    data = saved.read_bytes()
    start = len(MAGIC) + 8
    length = int.from_bytes(data[len(MAGIC) : start], "little")
    header = json.loads(data[start : start + length])
    header["meta"]["count"] = 3
    body = json.dumps(header, sort_keys=True).encode().ljust(length)
    saved.write_bytes(data[:start] + body + data[start + length :])
    with pytest.raises(CorruptDataError, match="header checksum"):
        PdqIndex.load(saved)


def test_newer_version_is_refused_with_a_hint(saved: Path) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data.replace(b'"version": 1', b'"version": 9', 1))
    with pytest.raises(CorruptDataError, match="version 9") as info:
        PdqIndex.load(saved)
    assert "Rebuild" in info.value.hint


def test_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("hello")
    with pytest.raises(CorruptDataError, match="not a sharedhash index"):
        load_index(tmp_path / "x")
    with pytest.raises(FileAccessError):
        load_index(tmp_path / "missing")


def _write_pdq(path: Path, index: PdqIndex, **replace: np.ndarray | None) -> None:
    """Save ``index``'s main segment with some search arrays replaced (None: left out)."""
    main = index._main
    extra = {**main.extra, **replace}
    arrays = {"rows": main.rows, "ids": main.ids, **{k: v for k, v in extra.items() if v is not None}}
    storage.write_arrays(path, "pdq", {"hash_type": "pdq", "count": len(main.ids), "width": 32}, arrays)


def test_files_without_group_bits_load_as_one_key_per_offset(tmp_path: Path) -> None:
    # Files written before grouped offsets have no group_bits array; their offsets have one entry per key.
    rows = np.random.default_rng(2).integers(0, 256, size=(300, 32), dtype=np.uint8)
    index = PdqIndex.from_arrays(rows, np.arange(300), group_bits=0)
    _write_pdq(tmp_path / "old", index, group_bits=None)
    loaded = PdqIndex.load(tmp_path / "old")
    queries = [bytes(r).hex() for r in rows[:20]]
    assert loaded.query_batch(queries, 40) == index.query_batch(queries, 40)


@pytest.mark.parametrize("group_bits", [np.array([9], dtype=np.uint8), np.array([1, 1], dtype=np.uint8)])
def test_invalid_group_bits_fail(tmp_path: Path, group_bits: np.ndarray) -> None:
    index = PdqIndex.from_arrays(np.zeros((10, 32), dtype=np.uint8), np.arange(10))
    _write_pdq(tmp_path / "bad", index, group_bits=group_bits)
    with pytest.raises(CorruptDataError, match="group size"):
        PdqIndex.load(tmp_path / "bad")


def test_group_bits_that_do_not_match_the_offsets_fail(tmp_path: Path) -> None:
    index = PdqIndex.from_arrays(np.zeros((10, 32), dtype=np.uint8), np.arange(10), group_bits=1)
    _write_pdq(tmp_path / "bad", index, group_bits=np.array([2], dtype=np.uint8))
    with pytest.raises(CorruptDataError, match="offsets of the wrong shape"):
        PdqIndex.load(tmp_path / "bad")


def test_grouped_posting_out_of_range_fails(tmp_path: Path) -> None:
    index = PdqIndex.from_arrays(np.zeros((10, 32), dtype=np.uint8), np.arange(10), group_bits=1)
    postings = index._main.extra["postings"].copy()
    postings[0, 0] = (postings[0, 0] & np.uint32(1 << 31)) | np.uint32(10)  # keeps the key bit, position 10 of 10
    _write_pdq(tmp_path / "bad", index, postings=postings)
    with pytest.raises(CorruptDataError, match="out of range"):
        PdqIndex.load(tmp_path / "bad")
