"""The on-disk index format: named numpy arrays after a JSON header, checksummed, loaded by memory-mapping.

Layout: a magic line, an 8-byte little-endian header length, the JSON header, then each array at a 64-byte
aligned offset. The header lists every array (dtype, shape, offset) with the sha256 of each 64 MiB block, and
its own sha256. Never pickle: nothing in the file is executable, and a damaged file is refused, never served.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from sharedhash.errors import CorruptDataError, FileAccessError

MAGIC = b"SHAREDHASH-INDEX\n"
FORMAT = "sharedhash-index"
VERSION = 1
_ALIGN = 64
# Blocks let both cores verify a large file at once (hashlib releases the GIL on big buffers).
_BLOCK = 64 * 1024 * 1024


def _digest_blocks(buffer: memoryview, workers: int) -> list[str]:
    spans = [buffer[i : i + _BLOCK] for i in range(0, len(buffer), _BLOCK)] or [buffer[:0]]
    if len(spans) == 1:
        return [hashlib.sha256(spans[0]).hexdigest()]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda span: hashlib.sha256(span).hexdigest(), spans))


def _header_digest(header: Mapping[str, Any]) -> str:
    body = {k: v for k, v in header.items() if k != "header_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def write_arrays(path: Path, kind: str, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` atomically (a temporary file renamed over the target)."""
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    contiguous = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    for name, array in contiguous.items():
        entries[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "offset": offset,
            "nbytes": int(array.nbytes),
            "sha256": _digest_blocks(memoryview(array.reshape(-1).view(np.uint8).data), _workers()),
        }
        offset += -(-int(array.nbytes) // _ALIGN) * _ALIGN
    header: dict[str, Any] = {"format": FORMAT, "version": VERSION, "kind": kind, "meta": dict(meta)}
    header["arrays"] = entries
    header["header_sha256"] = _header_digest(header)
    header_bytes = json.dumps(header, sort_keys=True).encode()
    start = len(MAGIC) + 8 + len(header_bytes)
    data_start = -(-start // _ALIGN) * _ALIGN
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as out:
            out.write(MAGIC + len(header_bytes).to_bytes(8, "little") + header_bytes)
            out.write(b"\0" * (data_start - start))
            for name, array in contiguous.items():
                out.seek(data_start + entries[name]["offset"])
                out.write(memoryview(array.reshape(-1).view(np.uint8).data))
            out.truncate(data_start + offset)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileAccessError(f"cannot write the index to {path}: {exc.strerror or exc}") from exc


def _open(path: Path) -> BinaryIO:
    try:
        if path.is_dir():
            raise FileAccessError(f"{path} is a folder, not an index file")
        return path.open("rb")
    except FileNotFoundError as exc:
        raise FileAccessError(f"the index {path} does not exist") from exc
    except OSError as exc:
        raise FileAccessError(f"cannot read the index {path}: {exc.strerror or exc}") from exc


def _read_header(path: Path, handle: BinaryIO, size: int) -> tuple[dict[str, Any], int]:
    prefix = handle.read(len(MAGIC) + 8)
    if len(prefix) < len(MAGIC) + 8 or not prefix.startswith(MAGIC):
        raise CorruptDataError(f"{path} is not a sharedhash index file")
    header_len = int.from_bytes(prefix[len(MAGIC) :], "little")
    if header_len > size:
        raise CorruptDataError(f"{path} is truncated: its header runs past the end of the file")
    try:
        header = json.loads(handle.read(header_len))
    except ValueError as exc:
        raise CorruptDataError(f"{path} has a damaged header") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CorruptDataError(f"{path} is not a sharedhash index file")
    if header.get("version") != VERSION:
        raise CorruptDataError(
            f"{path} is index format version {header.get('version')}; this sharedhash reads version {VERSION}",
            hint="Rebuild the index with this version of sharedhash (`sharedhash index build`).",
        )
    if header.get("header_sha256") != _header_digest(header):
        raise CorruptDataError(f"{path} fails its header checksum: the file is damaged")
    if not isinstance(header.get("meta"), dict):
        raise CorruptDataError(f"{path} has a damaged header")
    return header, header_len


def read_kind(path: Path) -> tuple[str, dict[str, Any]]:
    """The ``kind`` and ``meta`` of an index file (its header checksum is checked, not its arrays)."""
    with _open(path) as handle:
        header, _ = _read_header(path, handle, os.fstat(handle.fileno()).st_size)
    return str(header.get("kind")), header["meta"]


def read_arrays(path: Path, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Map the arrays of an index file written by :func:`write_arrays`, after checking every checksum.

    Returns the ``meta`` mapping and read-only arrays backed by the mapped file.
    """
    with _open(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        header, header_len = _read_header(path, handle, size)
        if header.get("kind") != kind:
            raise CorruptDataError(f"{path} holds a {header.get('kind')!r} index, not a {kind!r} index")
        start = len(MAGIC) + 8 + header_len
        data_start = -(-start // _ALIGN) * _ALIGN
        try:
            entries: dict[str, dict[str, Any]] = header["arrays"]
            end = max(
                (data_start + int(e["offset"]) - (-int(e["nbytes"]) // _ALIGN) * _ALIGN for e in entries.values()),
                default=data_start,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorruptDataError(f"{path} has a damaged header") from exc
        if size != end:
            raise CorruptDataError(f"{path} is truncated or damaged: {size} bytes, expected {end}")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    arrays: dict[str, np.ndarray] = {}
    for name, entry in entries.items():
        try:
            dtype = np.dtype(entry["dtype"])
            count = entry["nbytes"] // dtype.itemsize
            if dtype.hasobject or count * dtype.itemsize != entry["nbytes"] or int(np.prod(entry["shape"])) != count:
                raise ValueError(name)
        except (TypeError, ValueError, KeyError, ZeroDivisionError) as exc:
            raise CorruptDataError(f"{path} describes array {name!r} inconsistently") from exc
        if entry["nbytes"] == 0 or mapped is None:
            arrays[name] = np.zeros(entry["shape"], dtype=dtype)
            continue
        view = memoryview(mapped)[data_start + entry["offset"] : data_start + entry["offset"] + entry["nbytes"]]
        if _digest_blocks(view, _workers()) != entry["sha256"]:
            raise CorruptDataError(f"{path} fails its checksum (array {name!r}): the file is damaged")
        array = np.frombuffer(mapped, dtype=dtype, count=count, offset=data_start + entry["offset"])
        arrays[name] = array.reshape(entry["shape"])
    return header["meta"], arrays
