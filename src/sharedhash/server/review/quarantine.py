"""The opt-in quarantine store: review media a platform uploads, kept encrypted at rest until the decision.

Each file is encrypted with its own random 256-bit key (AES-GCM, from the ``cryptography`` library; the check's
org and id are the associated data, so a file cannot be passed off as another check's). The per-file key is stored
in the database sealed with the node's secret key (:mod:`sharedhash.store.secretbox`); the encrypted bytes are a
file in ``<data_dir>/quarantine/`` named by a random token. A copy of the database alone, or of the folder alone,
reveals nothing; deleting the file (after the decision, or the retention period) removes the bytes for good,
which a row in the database would not (its pages and the PostgreSQL WAL keep old values for a while).

Lifetime: a file is kept at most ``quarantine_retention_days`` unless decided; a false positive deletes it at once;
a confirmation keeps it for ``quarantine_preservation_days`` (legal preservation), then the purge loop deletes it.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sharedhash.errors import ConflictError, FileAccessError, LimitExceededError, NotFoundError
from sharedhash.server.review.errors import MediaUnavailableError
from sharedhash.server.state import HubState
from sharedhash.settings import Settings
from sharedhash.store import audit
from sharedhash.store import quarantine as store
from sharedhash.store import review as review_store
from sharedhash.store.models import QuarantineFile, utcnow
from sharedhash.store.secretbox import SecretBox, SecretKeyError
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)

FOLDER = "quarantine"
MEDIA_TYPES = ("image/", "video/")
#: A file in the folder with no row is removed by the purge once it is this old (a crash between writing the file
#: and committing its row, or between deleting the row's bytes and unlinking the file).
ORPHAN_SECONDS = 3600.0


class QuarantineOffError(ConflictError):
    """The org has not turned the quarantine store on."""

    code = "quarantine_off"
    default_hint = "An admin turns quarantine on in the org's review settings (/ui/admin) first."


class QuarantineClosedError(ConflictError):
    """The check's quarantined file was deleted already (decided, or past its time): it is not stored again."""

    code = "quarantine_closed"
    default_hint = "The content was decided or its retention period ended; nothing more is stored for it."


class QuarantineTooLargeError(LimitExceededError):
    """The file is over the quarantine store's size limit."""

    code = "quarantine_too_large"
    default_hint = "Raise SHAREDHASH_QUARANTINE_MAX_BYTES, or let reviewers see the media through the proxy."


class QuarantineMediaTypeError(ConflictError):
    """Only images and videos are quarantined."""

    code = "quarantine_media_type"
    http_status = 415
    default_hint = "Send the file with its Content-Type, e.g. image/jpeg or video/mp4."


@dataclass(frozen=True)
class Stored:
    """What the store kept of an upload (never a hash of the file)."""

    check_id: int
    size: int
    media_type: str
    expires_at: datetime


def folder(settings: Settings) -> Path:
    """The folder of the encrypted files (created 0700 on first use)."""
    path = settings.data_dir / FOLDER
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _aad(org_id: int, check_id: int) -> bytes:
    return f"sharedhash-quarantine:{org_id}:{check_id}".encode()


def seal(box: SecretBox, data: bytes, org_id: int, check_id: int) -> tuple[bytes, str, str]:
    """``(ciphertext, wrapped key, nonce hex)`` of a file: a fresh AES-256-GCM key per file, sealed by ``box``."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    return AESGCM(key).encrypt(nonce, data, _aad(org_id, check_id)), box.seal_bytes(key), nonce.hex()


def unseal(box: SecretBox, row: QuarantineFile, ciphertext: bytes) -> bytes:
    """The plaintext of a stored file (tampered bytes, or another check's, raise :class:`SecretKeyError`)."""
    key = box.open_bytes(row.wrapped_key)
    try:
        return AESGCM(key).decrypt(bytes.fromhex(row.nonce), ciphertext, _aad(row.org_id, row.check_id))
    except (InvalidTag, ValueError):
        raise SecretKeyError("a quarantined file does not open: its bytes were changed or belong elsewhere") from None


def check_media_type(media_type: str) -> str:
    """The media type, lower-cased without parameters, if it is an image or a video."""
    chosen = media_type.split(";")[0].strip().lower()
    if not chosen.startswith(MEDIA_TYPES) or len(chosen) > 100:
        raise QuarantineMediaTypeError(f"only images and videos are quarantined, not {chosen or 'untyped data'!r}")
    return chosen


def check_size(settings: Settings, size: int) -> None:
    """413 when a file is over the limit (the route also stops reading at the limit)."""
    check_size_of(settings.quarantine_max_bytes, size)


def check_size_of(limit: int, size: int) -> None:
    """413 when ``size`` is over ``limit``."""
    if size > limit:
        raise QuarantineTooLargeError(f"the file is over the quarantine limit of {limit} bytes")


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileAccessError(f"cannot write to the quarantine folder: {exc.strerror}") from None


def _unlink(settings: Settings, names: Iterable[str]) -> None:
    base = folder(settings)
    for name in names:
        try:
            (base / name).unlink(missing_ok=True)
        except OSError as exc:  # left for the purge loop's orphan sweep
            log.warning("could not delete quarantined file %s: %s", name, exc.strerror)


def put(state: HubState, caller: Caller, check_id: int, data: bytes, media_type: str) -> Stored:
    """Store a check's media encrypted, if the org turned quarantine on; another upload for the same check
    replaces the kept file. Audited (the size and type, never a hash)."""
    with state.db.reading() as session:
        check = store.check_of_org(session, caller.org_id, check_id)
        if check is None:
            raise NotFoundError(f"no check with id {check_id}")
        if not review_store.settings_of(session, caller.org_id).quarantine:
            raise QuarantineOffError("quarantine is off for your org: the file was not stored")
    chosen = check_media_type(media_type)
    check_size(state.settings, len(data))
    if not data:
        raise QuarantineMediaTypeError("the file is empty")
    box = SecretBox.from_settings(state.settings)
    ciphertext, wrapped, nonce = seal(box, data, caller.org_id, check_id)
    name = secrets.token_hex(16) + ".bin"
    path = folder(state.settings) / name
    _write(path, ciphertext)
    now = utcnow()
    expires = now + timedelta(days=state.settings.quarantine_retention_days)
    replaced: list[str] = []
    try:
        with state.db.writing() as session:
            row = store.row_of_check(session, check_id)
            if row is not None and row.deleted_at is not None:
                raise QuarantineClosedError(f"the media of check {check_id} was deleted ({row.deleted_reason})")
            if row is None:
                row = QuarantineFile(org_id=caller.org_id, check_id=check_id, created_at=now)
                session.add(row)
            else:
                replaced.append(row.path)
            row.path, row.media_type, row.size = name, chosen, len(data)
            row.wrapped_key, row.nonce, row.expires_at = wrapped, nonce, expires
            session.flush()
            audit.record(
                session,
                caller,
                "quarantine.store",
                target=f"check:{check_id}",
                detail={"size": len(data), "media_type": chosen, "replaced": bool(replaced)},
            )
    except BaseException:
        _unlink(state.settings, [name])
        raise
    _unlink(state.settings, replaced)
    return Stored(check_id, len(data), chosen, expires)


def ready(state: HubState, caller: Caller) -> None:
    """Refuse before any work when the org has quarantine off (the content check with ``quarantine=true``)."""
    with state.db.reading() as session:
        if not review_store.settings_of(session, caller.org_id).quarantine:
            raise QuarantineOffError("quarantine is off for your org: nothing was checked or stored")


def put_file(state: HubState, caller: Caller, check_id: int, file: BinaryIO, media_type: str | None) -> Stored:
    """:func:`put` of an uploaded file object (read from its start, at most the limit plus one byte)."""
    file.seek(0)
    data = file.read(state.settings.quarantine_max_bytes + 1)
    return put(state, caller, check_id, data, media_type or "")


def read(settings: Settings, row: QuarantineFile) -> bytes:
    """The decrypted bytes of a kept file."""
    try:
        ciphertext = (folder(settings) / row.path).read_bytes()
    except FileNotFoundError:
        raise MediaUnavailableError("the quarantined file is missing from the quarantine folder") from None
    except OSError as exc:
        raise FileAccessError(f"cannot read the quarantined file: {exc.strerror}") from None
    return unseal(SecretBox.from_settings(settings), row, ciphertext)


def after_decision(session: Any, settings: Settings, check_id: int, decision: str, now: datetime) -> str | None:
    """In the decision's transaction: a confirmation keeps the file for the preservation period; a false positive
    deletes it. The name of a file to unlink once the transaction committed, or None."""
    row = store.row_of_check(session, check_id)
    if row is None or row.deleted_at is not None:
        return None
    if decision == "confirmed":
        row.preserve_until = now + timedelta(days=settings.quarantine_preservation_days)
        return None
    if decision == "false_positive":
        row.deleted_at, row.deleted_reason = now, "decided"
        return row.path
    return None


def removed_after_commit(settings: Settings, name: str | None) -> None:
    """Unlink a file whose row was marked deleted in a committed transaction."""
    if name:
        _unlink(settings, [name])


def purge(state: HubState) -> int:
    """Delete files past their retention or preservation period (the background loop), then files without a
    kept row that are older than :data:`ORPHAN_SECONDS`; how many rows were purged."""
    now = utcnow()
    names: list[str] = []
    with state.db.writing() as session:
        for row in store.due(session, now):
            row.deleted_reason = "preservation_ended" if row.preserve_until is not None else "retention"
            row.deleted_at = now
            names.append(row.path)
            owner = Caller(row.org_id, "", None, frozenset())
            audit.record(
                session,
                owner,
                "quarantine.purge",
                target=f"check:{row.check_id}",
                detail={"reason": row.deleted_reason},
            )
        kept = store.kept_paths(session)
    _unlink(state.settings, names)
    base = folder(state.settings)
    cutoff = time.time() - ORPHAN_SECONDS
    for path in base.iterdir():
        if path.name not in kept and path.stat().st_mtime < cutoff:
            _unlink(state.settings, [path.name])
    return len(names)
