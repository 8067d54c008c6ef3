"""Reading hash-list files (CSV with a header, or JSON lines) of ``hash_type,value[,id]`` records.

Every record is validated; a malformed one fails the whole file with an error naming its line, so a bad file
never half-builds an index.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sharedhash.errors import FileAccessError, InvalidHashError, InvalidInputError, UnknownHashTypeError
from sharedhash.hashing import get_hash_type


@dataclass(frozen=True, slots=True)
class HashRecord:
    """One hash from a file: its type, canonical value, the caller's id (if given) and its line number."""

    hash_type: str
    value: str
    id: str | None
    line: int


def _open(path: Path) -> TextIO:
    try:
        if path.is_dir():
            raise FileAccessError(f"{path} is a folder, not a hash file")
        return path.open("r", encoding="utf-8", newline="")
    except FileNotFoundError as exc:
        raise FileAccessError(f"{path} does not exist") from exc
    except OSError as exc:
        raise FileAccessError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def _record(path: Path, line: int, fields: dict[str, Any], default_type: str | None) -> HashRecord:
    where = f"{path.name} line {line}"
    hash_type = fields.get("hash_type") or default_type
    value = fields.get("value")
    if not isinstance(hash_type, str) or not isinstance(value, str):
        raise InvalidInputError(
            f"{where}: needs string fields `hash_type` and `value`",
            hint="Each record is `hash_type,value[,id]` (CSV with a header row, or JSON lines).",
        )
    try:
        kind = get_hash_type(hash_type.strip().lower())
        canonical = kind.validate(value)
    except UnknownHashTypeError as exc:
        raise UnknownHashTypeError(f"{where}: {exc.message}", hint=exc.hint) from None
    except InvalidHashError as exc:
        raise InvalidHashError(f"{where}: {exc.message}", hint=exc.hint) from None
    raw_id = fields.get("id")
    return HashRecord(kind.name, canonical, None if raw_id in (None, "") else str(raw_id), line)


def _json_lines(path: Path, stream: TextIO, default_type: str | None) -> Iterator[HashRecord]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            fields = json.loads(text)
        except ValueError:
            raise InvalidInputError(f"{path.name} line {number}: not valid JSON") from None
        if not isinstance(fields, dict):
            raise InvalidInputError(f"{path.name} line {number}: expected a JSON object")
        yield _record(path, number, fields, default_type)


def _csv(path: Path, stream: TextIO, default_type: str | None) -> Iterator[HashRecord]:
    reader = csv.reader(stream)
    header = [h.strip().lower() for h in next(reader, [])]
    if "value" not in header or ("hash_type" not in header and default_type is None):
        raise InvalidInputError(
            f"{path.name} line 1: the header must name the columns `hash_type` and `value` (and optionally `id`)",
            hint="Example first line: hash_type,value,id",
        )
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InvalidInputError(
                f"{path.name} line {reader.line_num}: {len(row)} fields, the header has {len(header)}"
            )
        yield _record(path, reader.line_num, dict(zip(header, row, strict=True)), default_type)


def _plain(path: Path, stream: TextIO, default_type: str | None) -> Iterator[HashRecord]:
    for number, text in enumerate(stream, start=1):
        if text.strip():
            yield _record(path, number, {"value": text.strip()}, default_type)


def read_hash_file(
    path: Path, *, default_type: str | None = None, on_bytes: Callable[[int], None] | None = None
) -> list[HashRecord]:
    """Every record of a CSV (header row), JSON-lines or, given ``default_type``, plain one-value-per-line file.

    ``on_bytes`` is called with the number of bytes read so far, for progress bars.
    """
    with _open(path) as stream:
        try:
            first = stream.readline()
            stream.seek(0)
            stripped = first.lstrip()
            if stripped.startswith("{"):
                records = _json_lines(path, stream, default_type)
            elif default_type is not None and "," not in first:
                records = _plain(path, stream, default_type)
            else:
                records = _csv(path, stream, default_type)
            out: list[HashRecord] = []
            for record in records:
                out.append(record)
                if on_bytes is not None and len(out) % 10_000 == 0:
                    on_bytes(stream.buffer.tell() if hasattr(stream, "buffer") else 0)
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{path.name} is not UTF-8 text") from exc
        except csv.Error as exc:
            raise InvalidInputError(f"{path.name}: malformed CSV ({exc})") from exc
    return out
