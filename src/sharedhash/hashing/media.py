"""``hash_media``: decode a file once and compute every requested hash type of it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sharedhash.errors import FileAccessError, ImageTooSmallError, UnknownHashTypeError
from sharedhash.hashing.decode import decode
from sharedhash.hashing.errors import FileTooLargeError
from sharedhash.hashing.files import open_for_hashing
from sharedhash.hashing.regions import Probe, RegionSet, contributed
from sharedhash.quick_settings import setting

DEFAULT_TYPES = ("pdq", "md5", "sha1", "sha256")
#: Every type hash_media computes (``pdqr``: region hashes, see :mod:`sharedhash.hashing.regions`).
MEDIA_TYPES = ("pdq", "pdqr", "md5", "sha1", "sha256")
_DECODED = ("pdq", "pdqr")
_DIGESTS = ("md5", "sha1", "sha256")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class MediaHashes:
    """Every requested hash of one file.

    ``pdq_quality`` is set when ``pdq`` was requested; ``pdq_dihedral`` holds the 8 dihedral variants
    (original, rot90, rot180, rot270, flip x, flip y, flip +1, flip -1) when asked for. With ``pdqr``,
    ``hashes["pdqr"]`` is the whole trimmed picture's value and ``regions`` every region's; ``probes`` holds the
    query values when asked for.
    """

    hashes: dict[str, str]
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    regions: RegionSet | None = None
    probes: list[Probe] | None = None

    @property
    def pdqr_values(self) -> list[str]:
        """The region values worth contributing (quality gate applied), or [] without ``pdqr``."""
        return contributed(self.regions.values) if self.regions is not None else []


def check_types(types: Sequence[str]) -> list[str]:
    """The requested hash types, lowercased and deduplicated; :class:`UnknownHashTypeError` for others."""
    if isinstance(types, str):
        types = [types]
    wanted = list(dict.fromkeys(t.strip().lower() for t in types if t.strip()))
    if not wanted:
        raise UnknownHashTypeError("no hash types requested", hint=f"Use some of: {', '.join(MEDIA_TYPES)}.")
    for t in wanted:
        if t not in MEDIA_TYPES:
            raise UnknownHashTypeError(
                f"hash_media computes {', '.join(MEDIA_TYPES)}, not {t!r}",
                hint="Other hash types (e.g. vpdq) have their own entry points.",
            )
    return wanted


def _read_limited(path: Path, limit: int) -> bytes:
    with open_for_hashing(path) as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as exc:
            raise FileAccessError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise FileTooLargeError(f"{path.name} is larger than the limit of {limit:,} bytes for images")
    return data


def _stream_digests(path: Path, names: Sequence[str]) -> dict[str, str]:
    digests = {n: hashlib.new(n) for n in names}
    with open_for_hashing(path) as stream:
        try:
            while chunk := stream.read(_CHUNK):
                for d in digests.values():
                    d.update(chunk)
        except OSError as exc:
            raise FileAccessError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    return {n: d.hexdigest() for n, d in digests.items()}


def hash_media(
    source: Path | bytes,
    types: Sequence[str] = DEFAULT_TYPES,
    *,
    dihedral: bool = False,
    fast: bool = False,
    probes: bool = False,
) -> MediaHashes:
    """Compute ``types`` of a file (a path, or its bytes already in memory), decoding the image at most once.

    ``pdq`` equals Meta's reference bit for bit (see docs/hashing.md); ``dihedral`` adds its 8 rotations and
    mirror images, computed from the same pass; ``fast`` decodes JPEGs at reduced size (a few bits off the exact
    hash: for scanning, never for contributing). Cryptographic hashes of a path are streamed, never read whole,
    unless the file is decoded anyway. ``probes`` (with ``pdqr``) adds the query values of the region matching.

    Raises :class:`~sharedhash.errors.MediaError` subclasses for bad images,
    :class:`~sharedhash.errors.FileAccessError` for unreadable paths, and
    :class:`~sharedhash.hashing.errors.FileTooLargeError` above ``max_file_bytes`` when decoding.
    """
    from sharedhash.hashing.pdq import pdq_from_pixels

    wanted = check_types(types)
    max_file_bytes, max_image_pixels = setting("max_file_bytes"), setting("max_image_pixels")
    digests = [t for t in wanted if t in _DIGESTS]
    hashes: dict[str, str] = {}
    quality: int | None = None
    variants: list[str] | None = None
    regions: RegionSet | None = None
    query: list[Probe] | None = None
    if set(wanted) & set(_DECODED):
        if isinstance(source, Path):
            data = _read_limited(source, max_file_bytes)
        else:
            data = bytes(source)
            if len(data) > max_file_bytes:
                raise FileTooLargeError(f"the image is larger than the limit of {max_file_bytes:,} bytes")
        decoded = decode(data, max_pixels=max_image_pixels, fast=fast)
        if "pdq" in wanted:
            try:
                result = pdq_from_pixels(decoded.pixels, dihedral=dihedral, exact=not fast)
            except ValueError as exc:  # fewer than 5 rows or columns after a reduced decode
                raise ImageTooSmallError(str(exc)) from exc
            quality = result.quality
            variants = result.dihedral
            hashes["pdq"] = result.hash
        if "pdqr" in wanted:
            from sharedhash.hashing.regions import query_probes, region_values

            if probes:
                query, regions = query_probes(decoded.pixels)
            else:
                regions = region_values(decoded.pixels)
            hashes["pdqr"] = regions.values[0].value
        for name in digests:
            hashes[name] = hashlib.new(name, data).hexdigest()
    elif isinstance(source, Path):
        hashes = _stream_digests(source, digests)
    else:
        hashes = {n: hashlib.new(n, bytes(source)).hexdigest() for n in digests}
    return MediaHashes(
        hashes={t: hashes[t] for t in wanted},
        pdq_quality=quality,
        pdq_dihedral=variants,
        regions=regions,
        probes=query,
    )
