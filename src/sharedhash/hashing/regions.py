"""Region hashes (``pdqr``): PDQ hashes of a few regions of an image after its uniform borders are trimmed.

Plain PDQ misses copies that were cropped, padded, letterboxed, put in a screenshot, slightly rotated or partly
covered. The contributor's side stores a handful of region hashes of the picture (the whole picture with its
uniform borders trimmed, a centre crop and the four corner windows); the query's side trims its own borders and
hashes its whole picture, its own windows and two slightly rotated centre crops. A query matches a listed image
when the evidence is strong enough (:func:`decide`): the trimmed whole pictures agree, or one probe agrees with
one region at a tight distance (tighter for a low-quality probe), or at least two different regions agree (two
of them closely).

Every value is a 256-bit PDQ hash XOR a fixed mask of its region: a query probe aimed at region ``k`` carries
region ``k``'s mask, so it can only come near the listed region ``k`` (any other region's value sits ~128 bits
away). The geometry of the evidence is thereby part of the value: "the top-left window of the query matches the
top-left window of the listed image", never "some window matches some other window". The values are the same
64-hex format as PDQ, so the 256-bit index, the hub and the feeds serve them unchanged (as more values of one
hash type per entry).

Only global DCT-sign hashes of large regions travel (each summarises half a picture or more in 256 bits), never
pixels, thumbnails or local descriptors: see docs/hashing.md for why they are not invertible.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sharedhash.hashing.pdq import PixelSource, _dihedral_coefficients, _transpose, bits_to_hex

_CORE_ABI = 2


def _load_core() -> Any:
    try:
        from sharedhash.hashing import _regioncore
    except ImportError:  # built without a C compiler: numpy computes the same values, several times slower
        return None
    # A stale build from an older checkout must not be used with newer Python code.
    return _regioncore if getattr(_regioncore, "ABI_VERSION", None) == _CORE_ABI else None


_core: Any = _load_core()

#: The longer side of the grey working copy every region hash is computed from (PDQ keeps a 64x64 grid anyway).
WORK_SIDE = 256
#: A row or column is uniform when at least :data:`UNIFORM_SHARE` of its pixels are within this of its median (luma,
#: 0-255): a plain border, a letterbox, or a window's canvas and title bar with a little text on it.
UNIFORM_TOLERANCE = 10.0
UNIFORM_SHARE = 0.95
#: Trimming never keeps less than this share of a side (a picture that is almost all flat is left whole).
MIN_KEEP = 0.2
#: Quality under which a region's value is not contributed and a probe is not sent (flat regions say nothing).
MIN_REGION_QUALITY = 50


@dataclass(frozen=True, slots=True)
class Region:
    """A region of the trimmed picture, as fractions of its width and height."""

    id: int
    name: str
    box: tuple[float, float, float, float]  # left, top, right, bottom in [0, 1]


#: The regions a contributed image gets values for, in id order (ids are part of the values' masks: never reuse).
REGIONS: tuple[Region, ...] = (
    Region(0, "whole picture", (0.0, 0.0, 1.0, 1.0)),
    Region(1, "centre 70%", (0.15, 0.15, 0.85, 0.85)),
    Region(2, "top-left 75%", (0.0, 0.0, 0.75, 0.75)),
    Region(3, "top-right 75%", (0.25, 0.0, 1.0, 0.75)),
    Region(4, "bottom-left 75%", (0.0, 0.25, 0.75, 1.0)),
    Region(5, "bottom-right 75%", (0.25, 0.25, 1.0, 1.0)),
)
#: Query-side scale search: a listed region's share of a cropped copy grows by this factor per step (the centre
#: finely, the corner windows more coarsely: four of them).
SCALE_STEP = 1.03
CORNER_SCALE_STEP = 1.025
#: Mirrored crops: the centre's scale search is also run on the query mirrored left-right (a mirror image, then
#: cropped: the whole picture's mirror forms alone cannot find it).
MIRRORED_CROPS = True
#: Query-side rotations (degrees) of the centre, for copies turned by a few degrees (a hash survives ~1° of turn:
#: the whole picture covers up to ~1.5°, these steps of 1.5° the rest up to ~6.5°).
ROTATIONS = (-6.0, -4.5, -3.0, 3.0, 4.5, 6.0)
#: For each turn, the centre is searched at its share of the turned copy as it is (corners showing) and of the
#: turned copy cropped to the largest upright box free of the corners (what editors do after a turn).
#: Aspect-changing crops: the centre is also searched with one side at its own share and the other over the shares
#: a crop of that side alone gives it (up to :data:`MAX_ASPECT_CROP` of that side cut).
MAX_ASPECT_CROP = 0.3
#: The embedded picture of a screenshot: pixels further than :data:`UNIFORM_TOLERANCE` from the canvas colour (the
#: median of the outermost pixels) are "busy"; rows with at least this share busy form the picture's rows.
SCREEN_ROW_SHARE = 0.15
#: Within those rows, columns at least this share busy form its columns (and the rows are refined the same way).
SCREEN_COLUMN_SHARE = 0.5
#: The found picture is probed when it is at most this share of the working copy's area and at least
#: :data:`MIN_KEEP` of each side of the working copy.
SCREEN_MAX_AREA = 0.9


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The evidence rule's distances (bits of 256)."""

    #: The trimmed whole picture of the query against the listed one (what PDQ's own 31 is to plain PDQ).
    whole: int = 31
    #: One probe against one region, when nothing else agrees (a crop matching one listed crop). A query tries
    #: ~130 probes against each listed image's six regions: the more chances, the tighter a lone probe must be
    #: (24 let two hard negatives of 5,000 through, at exactly 24).
    single: int = 22
    #: A lone probe whose own quality is below :attr:`lone_quality` (sparse or flat content, e.g. star fields:
    #: such hashes agree between different pictures more often) must be within this.
    single_low_quality: int = 16
    #: PDQ's quality (0-100) a lone probe needs for :attr:`single`.
    lone_quality: int = 80
    #: A lone probe of that quality within this is enough when another probe of the same region (the crop search's
    #: neighbouring share: the same geometry) agrees within :attr:`corroborating` too.
    single_corroborated: int = 24
    corroborating: int = 32
    #: Each of at least two different regions agreeing.
    multi: int = 40
    #: When exactly two regions agree, their distances together (combined evidence: two regions at the loose
    #: ``multi`` are not enough; overlapping windows of near-identical pictures, e.g. solar panels, agree so).
    pair: int = 56


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class RegionValue:
    """One contributed value: the region, its masked hash (64 hex) and the region's quality (PDQ's measure)."""

    region: int
    value: str
    quality: int


@dataclass(frozen=True, slots=True)
class Probe:
    """One query value aimed at one listed region, and what part of the query it hashes."""

    region: int
    value: str
    source: str  # e.g. "whole picture", "top-left 75%", "centre 70% turned +4°", "whole picture, mirrored"
    #: The probe hashes the same part of the query as the region of the listed image (geometry agrees).
    aligned: bool
    #: PDQ's quality of the probe's part of the query (0-100; at least :data:`MIN_REGION_QUALITY`).
    quality: int = 100


@dataclass(frozen=True, slots=True)
class RegionSet:
    """Every region value of one image, and whether (and how much) its borders were trimmed."""

    values: tuple[RegionValue, ...]
    trimmed: bool
    box: tuple[int, int, int, int]  # the kept box in the working copy (left, top, right, bottom)
    size: tuple[int, int]  # the working copy's size


@cache
def region_mask(region: int) -> int:
    """The 256-bit mask of region ``region`` (fixed: part of the value format)."""
    return int.from_bytes(hashlib.sha256(f"sharedhash pdqr region {region}".encode()).digest(), "big")


def mask(value: str, region: int) -> str:
    """``value`` (64 hex) XOR the mask of ``region``: the stored form of a region's hash (and its inverse)."""
    return f"{int(value, 16) ^ region_mask(region):064x}"


@cache
def _mask_table() -> NDArray[np.uint8]:
    """The masks of every region in :data:`REGIONS`, as (regions, 32) bytes."""
    table = [np.frombuffer(region_mask(r.id).to_bytes(32, "big"), np.uint8) for r in REGIONS]
    return np.stack(table)


def _mask_all(values: Sequence[str], regions: Sequence[int]) -> list[str]:
    """:func:`mask` of each of ``values`` with the region beside it, in one pass (a query has ~130 of them)."""
    if not values:
        return []
    raw = np.frombuffer(bytes.fromhex("".join(values)), np.uint8).reshape(len(values), 32)
    out = (raw ^ _mask_table()[np.asarray(regions, np.intp)]).tobytes().hex()
    return [out[64 * i : 64 * (i + 1)] for i in range(len(values))]


def upright_grey(src: PixelSource) -> Image.Image:
    """The upright picture's luma at full size (Pillow's "L": PDQ's weights, rounded), converted once per image: the
    grey conversion comes before any resizing or turning, which then move one byte per pixel instead of three."""
    image = src.image if src.image.mode == "L" else src.image.convert("L")
    return image if src.orientation == 1 else _transpose(image, src.orientation)


def working_copy(
    src: PixelSource, box: tuple[float, float, float, float] | None = None, *, grey: Image.Image | None = None
) -> Image.Image:
    """The upright picture's luma (PDQ's weights, as Pillow's "L"), its longer side :data:`WORK_SIDE`; with ``box``
    (fractions of the upright picture), only that part, at the same size (a trimmed picture keeps its detail).
    ``grey``: :func:`upright_grey` of ``src`` when the caller has it already."""
    image = grey if grey is not None else upright_grey(src)
    width, height = image.size
    left, top, right, bottom = box if box is not None else (0.0, 0.0, 1.0, 1.0)
    part = (left * width, top * height, right * width, bottom * height)
    w, h = part[2] - part[0], part[3] - part[1]
    scale = WORK_SIDE / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size != image.size or box is not None:
        filter_ = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
        image = image.resize(size, filter_, box=part)
    return image


def _trimmed_copy(
    src: PixelSource, image: Image.Image, kept: tuple[int, int, int, int], grey: Image.Image | None = None
) -> Image.Image:
    """The working copy of the trimmed picture (``kept``, a box of the working copy ``image``)."""
    if kept == (0, 0, *image.size):
        return image
    width, height = image.size
    return working_copy(src, (kept[0] / width, kept[1] / height, kept[2] / width, kept[3] / height), grey=grey)


def _uniform(lines: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Per line (axis 0 of ``lines``: lines x pixels), whether it is (mostly) uniform."""
    if not lines.shape[1]:
        return np.ones(lines.shape[0], dtype=bool)
    near = np.abs(lines - np.median(lines, axis=1, keepdims=True)) <= UNIFORM_TOLERANCE
    uniform: NDArray[np.bool_] = near.mean(axis=1) >= UNIFORM_SHARE
    return uniform


def trim_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box of ``image`` left after removing uniform rows and columns from each side (borders, letterboxes,
    padding, a plain canvas around a picture), as (left, top, right, bottom); the whole image when less than
    :data:`MIN_KEEP` of a side would remain."""
    grey = np.ascontiguousarray(image.convert("L") if image.mode != "L" else image, dtype=np.uint8)
    height, width = grey.shape
    arr = grey.astype(np.float32) if _core is None else grey
    top, bottom, left, right = 0, height, 0, width
    for _ in range(3):  # trimming rows can make columns uniform and the other way round; it settles fast
        rows = _uniform_lines(arr, (left, top, right, bottom), columns=False)
        cols = _uniform_lines(arr, (left, top, right, bottom), columns=True)
        new_top, new_bottom = _ends(rows)
        new_left, new_right = _ends(cols)
        if (new_top, new_bottom, new_left, new_right) == (0, len(rows), 0, len(cols)):
            break
        top, bottom = top + new_top, top + new_bottom
        left, right = left + new_left, left + new_right
        if bottom - top < MIN_KEEP * height or right - left < MIN_KEEP * width:
            return 0, 0, width, height
    return left, top, right, bottom


def picture_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of a picture embedded in a plain canvas with other things on it (a screenshot of a window: title
    bar, a few lines of text), as (left, top, right, bottom) of ``image``; None when nothing of the kind is found.

    The canvas colour is the median of the outermost pixels; the picture's rows are the longest run of rows with at
    least :data:`SCREEN_ROW_SHARE` of their pixels away from it, its columns the longest run of columns busy for at
    least :data:`SCREEN_COLUMN_SHARE` of those rows, and its rows are refined the same way within those columns.
    """
    arr = np.asarray(image.convert("L") if image.mode != "L" else image, dtype=np.float32)
    height, width = arr.shape
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    busy = np.abs(arr - np.median(edge)) > UNIFORM_TOLERANCE
    top, bottom = _longest(busy.mean(axis=1) >= SCREEN_ROW_SHARE)
    if bottom - top < MIN_KEEP * height:
        return None
    left, right = _longest(busy[top:bottom].mean(axis=0) >= SCREEN_COLUMN_SHARE)
    if right - left < MIN_KEEP * width:
        return None
    rows = busy[:, left:right].mean(axis=1) >= SCREEN_COLUMN_SHARE
    top, bottom = _longest(rows)
    if bottom - top < MIN_KEEP * height or right - left < MIN_KEEP * width:
        return None
    if (bottom - top) * (right - left) > SCREEN_MAX_AREA * height * width:
        return None
    return left, top, right, bottom


def _longest(flags: NDArray[np.bool_]) -> tuple[int, int]:
    """The first and one past the last index of the longest run of True in ``flags`` ((0, 0) when none)."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    changes = np.flatnonzero(np.diff(padded))
    if not len(changes):
        return 0, 0
    starts, ends = changes[::2], changes[1::2]
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])


def _uniform_lines(arr: NDArray[Any], box: tuple[int, int, int, int], *, columns: bool) -> NDArray[np.bool_]:
    """:func:`_uniform` of the rows (or columns) of ``box`` of the grey picture ``arr``: by the compiled kernel when
    there is one (``arr`` uint8), else by numpy (``arr`` float32)."""
    left, top, right, bottom = box
    if _core is None or arr.dtype != np.uint8:
        part = arr[top:bottom, left:right].astype(np.float32, copy=False)
        return _uniform(part.T if columns else part)
    out = np.empty(right - left if columns else bottom - top, np.uint8)
    height, width = arr.shape
    _core.uniform(arr, width, height, left, top, right, bottom, columns, UNIFORM_TOLERANCE, UNIFORM_SHARE, out)
    return out.view(np.bool_)


def _ends(uniform: NDArray[np.bool_]) -> tuple[int, int]:
    """The first and one past the last non-uniform line (the whole range when every line is uniform)."""
    busy = np.flatnonzero(~uniform)
    if not len(busy):
        return 0, len(uniform)
    return int(busy[0]), int(busy[-1]) + 1


class _Canvas:
    """A grey picture's summed-area table: the 64x64 area means of any boxes of it, many at once."""

    def __init__(self, image: Image.Image) -> None:
        arr = np.asarray(image, dtype=np.int32)
        self.height, self.width = arr.shape
        self.table = np.zeros((self.height + 1, self.width + 1), np.int32)  # exact: at most 255 * 2**16 per cell
        np.cumsum(np.cumsum(arr, axis=0), axis=1, out=self.table[1:, 1:])

    def grids(self, boxes: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n, 64, 64) area means of ``boxes`` (n x (left, top, right, bottom) in pixels); cells are >= 1 pixel."""
        steps = np.arange(_GRID + 1) / _GRID
        xs = _edges(boxes[:, 0, None] + (boxes[:, 2] - boxes[:, 0])[:, None] * steps, self.width)
        ys = _edges(boxes[:, 1, None] + (boxes[:, 3] - boxes[:, 1])[:, None] * steps, self.height)
        t = self.table[ys[:, :, None], xs[:, None, :]].astype(np.float64)
        sums = t[:, 1:, 1:] - t[:, :-1, 1:] - t[:, 1:, :-1] + t[:, :-1, :-1]
        areas = (ys[:, 1:] - ys[:, :-1])[:, :, None] * (xs[:, 1:] - xs[:, :-1])[:, None, :]
        means: NDArray[np.float64] = sums / np.maximum(areas, 1)  # an empty cell (box under 64 pixels) is 0
        return means


_GRID = 64


def _edges(raw: NDArray[np.float64], limit: int) -> NDArray[np.int64]:
    """Integer cell edges, strictly increasing where the box allows (each cell at least one pixel)."""
    edges = np.clip(np.round(raw), 0, limit).astype(np.int64)
    edges = np.maximum(edges, edges[:, :1] + np.arange(_GRID + 1))  # at least one pixel per cell
    over = np.maximum(edges[:, -1:] - limit, 0)
    shifted: NDArray[np.int64] = np.clip(edges - over, 0, limit)  # back inside; a box under 64 pixels gets empty cells
    return shifted


@cache
def _dct_matrix() -> NDArray[np.float64]:
    """PDQ's 16x64 DCT-II rows."""
    i = np.arange(1, 17)[:, None]
    j = np.arange(_GRID)[None, :]
    return np.sqrt(2 / _GRID) * np.cos(np.pi / 2 / _GRID * i * (2 * j + 1))  # type: ignore[no-any-return]


def _hashes(grids: NDArray[np.float64], *, dihedral: bool = False) -> tuple[list[str], NDArray[np.int64], list[str]]:
    """PDQ-style hashes of (n, 64, 64) grids (the 16x16 low DCT coefficients against their median), PDQ's quality
    measure, and, with ``dihedral``, the 8 dihedral variants of the first grid's hash (PDQ's order)."""
    values, quality, coef = _hashes_and_coefficients(grids)
    return values, quality, _variants(coef) if dihedral else []


def _hashes_and_coefficients(grids: NDArray[np.float64]) -> tuple[list[str], NDArray[np.int64], NDArray[np.float64]]:
    """:func:`_hashes` of (n, 64, 64) grids, with their (n, 16, 16) DCT coefficients instead of variants."""
    d = _dct_matrix()
    coef = d @ grids @ d.T
    diffs = np.abs(np.trunc(np.diff(grids, axis=1) * (100 / 255))).sum(axis=(1, 2))
    diffs += np.abs(np.trunc(np.diff(grids, axis=2) * (100 / 255))).sum(axis=(1, 2))
    quality = np.minimum(100, diffs.astype(np.int64) // 90)
    flat = coef.reshape(len(coef), 256)
    medians = np.partition(flat, 127, axis=1)[:, 127:128]
    packed = np.packbits((flat > medians)[:, ::-1], axis=1)
    values = [row.tobytes().hex() for row in packed]
    return values, quality, coef


def _variants(coef: NDArray[np.float64]) -> list[str]:
    """The 8 dihedral variants (PDQ's order) of the hash of the first of (n, 16, 16) coefficients; none when n = 0."""
    if not len(coef):
        return []
    return [bits_to_hex(c.reshape(-1) > np.sort(c.reshape(-1))[127]) for c in _dihedral_coefficients(coef[0])]


def _mirrored(coef: NDArray[np.float64]) -> list[str]:
    """The hashes of the left-right mirror images of the grids of (n, 16, 16) coefficients: mirroring a grid's
    columns flips the sign of its odd horizontal frequencies (1, 3, ..., 15: PDQ's coefficients start at frequency 1,
    so the even indices), with no second pass over the pixels."""
    flipped = coef * np.where(np.arange(16) & 1, 1.0, -1.0)[None, None, :]
    flat = flipped.reshape(len(flipped), 256)
    medians = np.partition(flat, 127, axis=1)[:, 127:128]
    packed = np.packbits((flat > medians)[:, ::-1], axis=1)
    return [row.tobytes().hex() for row in packed]


def _hash_boxes(
    picture: Image.Image, boxes: NDArray[np.float64], *, dihedral: bool = False, compiled: bool = True
) -> tuple[list[str], NDArray[np.int64], list[str]]:
    """:func:`_hashes` of the grids of ``boxes`` (n x (left, top, right, bottom), pixels) of the grey ``picture``:
    by the compiled kernel (the grids are never materialised in Python) or, without it or with ``compiled=False``,
    by numpy (:class:`_Canvas` then :func:`_hashes`, the kernel's oracle in the tests)."""
    values, quality, coef = _hash_boxes_coefficients(picture, boxes, compiled=compiled)
    return values, quality, _variants(coef) if dihedral else []


def _hash_boxes_coefficients(
    picture: Image.Image, boxes: NDArray[np.float64], *, compiled: bool = True
) -> tuple[list[str], NDArray[np.int64], NDArray[np.float64]]:
    """:func:`_hash_boxes` with the boxes' (n, 16, 16) DCT coefficients instead of variants."""
    boxes = np.ascontiguousarray(boxes, dtype=np.float64).reshape(-1, 4)
    if _core is None or not compiled:
        return _hashes_and_coefficients(_Canvas(picture).grids(boxes))
    n = len(boxes)
    pixels = np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))
    coef = np.empty((n, 256))
    quality = np.empty(n, np.int64)
    packed = np.empty((n, 32), np.uint8)
    _core.hashes(pixels, picture.width, picture.height, boxes, _dct_matrix(), coef, quality, packed)
    values = packed.tobytes().hex()
    return [values[64 * i : 64 * (i + 1)] for i in range(n)], quality, coef.reshape(n, 16, 16)


def _box(kept: tuple[int, int, int, int], frac: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    left, top, right, bottom = kept
    w, h = right - left, bottom - top
    return left + frac[0] * w, top + frac[1] * h, left + frac[2] * w, top + frac[3] * h


def region_values(src: PixelSource) -> RegionSet:
    """The contributed values of a decoded image: every region of :data:`REGIONS` (masked), with its quality."""
    grey = upright_grey(src)
    image = working_copy(src, grey=grey)
    kept = trim_box(image)
    picture = _trimmed_copy(src, image, kept, grey)
    boxes = np.array([_box((0, 0, *picture.size), r.box) for r in REGIONS])
    values, quality, _ = _hash_boxes(picture, boxes)
    out = tuple(RegionValue(r.id, mask(v, r.id), int(q)) for r, v, q in zip(REGIONS, values, quality, strict=True))
    return RegionSet(out, kept != (0, 0, *image.size), kept, image.size)


def _scales(start: float, step: float) -> list[float]:
    """Shares of the query a listed region of share ``start`` takes in copies cropped up to 1 - start: from
    ``start`` by ``step`` to the whole copy."""
    out = [start]
    while out[-1] * step < 1.0 - 0.01:
        out.append(out[-1] * step)
    return [*out, 1.0]


def _anchored(region: Region, share: float, share_y: float | None = None) -> tuple[float, float, float, float]:
    """``region`` scaled to ``share`` of the picture (``share_y`` of its height when given), kept at the corner (or
    centre) it hugs."""
    sy = share if share_y is None else share_y
    left, top, right, bottom = region.box
    if left == 0.0 and right < 1.0:
        x = (0.0, share)
    elif right == 1.0 and left > 0.0:
        x = (1.0 - share, 1.0)
    else:
        x = ((1.0 - share) / 2, (1.0 + share) / 2)
    if top == 0.0 and bottom < 1.0:
        y = (0.0, sy)
    elif bottom == 1.0 and top > 0.0:
        y = (1.0 - sy, 1.0)
    else:
        y = ((1.0 - sy) / 2, (1.0 + sy) / 2)
    return x[0], y[0], x[1], y[1]


def query_probes(src: PixelSource, *, dihedral: bool = True) -> tuple[list[Probe], RegionSet]:
    """The query values of a decoded image, each aimed at one listed region, and its own region values.

    The query's whole trimmed picture (and its mirror images and quarter turns) is aimed at the listed whole; its
    own regions at the same regions (overlays leave some of them alone); for crops, each region searched over the
    shares it takes of copies cropped up to its own size, anchored where it sits (the centre in the middle, each
    corner window at its corner); for small turns, the centre of the copy turned back by a few degrees. When the
    query's borders were trimmed, its untrimmed regions are tried too (a caption band can look like a border).
    """
    grey = upright_grey(src)
    image = working_copy(src, grey=grey)
    kept = trim_box(image)
    trimmed = kept != (0, 0, *image.size)
    picture = _trimmed_copy(src, image, kept, grey)
    whole = (0, 0, *picture.size)
    # (region, what the probe hashes, aligned?, box of the trimmed picture or, for "untrimmed", of the working copy)
    plan: list[tuple[int, str, bool, tuple[float, float, float, float]]] = []
    for region in REGIONS:
        plan.append((region.id, "whole picture" if region.id == 0 else region.name, True, _box(whole, region.box)))
    for region in REGIONS[1:]:
        share = region.box[2] - region.box[0]
        for s in _scales(share, SCALE_STEP if region.id == 1 else CORNER_SCALE_STEP)[1:]:
            plan.append(
                (region.id, f"{region.name} as a crop ({s:.0%} of the copy)", False, _box(whole, _anchored(region, s)))
            )
    centre = REGIONS[1]
    share = centre.box[2] - centre.box[0]
    for s in _scales(share, SCALE_STEP)[1:]:
        if share / s < 1.0 - MAX_ASPECT_CROP:
            continue
        for name, sx, sy in (("width", s, share), ("height", share, s)):
            plan.append(
                (1, f"{centre.name} as a crop of the {name} ({s:.0%})", False, _box(whole, _anchored(centre, sx, sy)))
            )
    values, quality, coef = _hash_boxes_coefficients(picture, np.array([p[3] for p in plan]))
    variants = _variants(coef) if dihedral else []
    if dihedral and MIRRORED_CROPS:
        # The centre's boxes are centred: the mirror image of each box's grid is the grid of the same box of the
        # mirrored query, its hash taken from the same coefficients (mirrored crops).
        crops = [k for k, p in enumerate(plan) if p[0] == 1 and not p[2] and " as a crop (" in p[1]]
        plan += [(1, f"{plan[k][1]}, mirrored left-right", False, plan[k][3]) for k in crops]
        values += _mirrored(coef[crops])
        quality = np.concatenate([quality, quality[crops]])
    inner = picture_box(image)
    if inner is not None and inner != kept:
        shot = _trimmed_copy(src, image, inner, grey)
        found = [
            (r.id, f"{r.name} of the picture found inside", True, _box((0, 0, *shot.size), r.box)) for r in REGIONS
        ]
        plan += found
        found_values, found_quality, _ = _hash_boxes(shot, np.array([p[3] for p in found]))
        values += found_values
        quality = np.concatenate([quality, found_quality])
    if trimmed:
        untrimmed = [(r.id, f"{r.name}, untrimmed", True, _box((0, 0, *image.size), r.box)) for r in REGIONS]
        plan += untrimmed
        more, more_quality, _ = _hash_boxes(image, np.array([p[3] for p in untrimmed]))
        values += more
        quality = np.concatenate([quality, more_quality])
    probes: list[Probe] = []
    own: list[RegionValue] = []
    masked = _mask_all(values, [p[0] for p in plan])
    for (region_id, source, aligned, _), value, q in zip(plan, masked, quality, strict=True):
        if len(own) < len(REGIONS):  # the first len(REGIONS) of the plan are the query's own regions
            own.append(RegionValue(region_id, value, int(q)))
        if q < MIN_REGION_QUALITY:
            continue
        probes.append(Probe(region_id, value, source, aligned, int(q)))
        if region_id == 0 and dihedral and source == "whole picture":
            probes.extend(
                Probe(0, form, f"whole picture, {_DIHEDRAL_NAMES[i]}", True, int(q))
                for i, form in enumerate(_mask_all(variants[1:], [0] * (len(variants) - 1)), start=1)
            )
    probes.extend(_turned(picture))
    return probes, RegionSet(tuple(own), trimmed, kept, image.size)


def rotation_shares(angle: float, size: tuple[int, int]) -> tuple[float, float]:
    """The centre's shares of a copy turned by ``angle`` degrees: as turned (corners showing), and cropped to the
    largest centred upright box of the same aspect free of the turned corners."""
    share = REGIONS[1].box[2] - REGIONS[1].box[0]
    a = np.radians(abs(angle))
    aspect = max(size) / max(1, min(size))
    return share, min(1.0, share * float(np.cos(a) + np.sin(a) * aspect))


def _turned(kept: Image.Image) -> list[Probe]:
    """Probes of the centre of the query turned back by each of :data:`ROTATIONS` (see :func:`rotation_shares`)."""
    centre = REGIONS[1]
    plan: list[tuple[str, tuple[float, float, float, float]]] = []
    values: list[str] = []
    qualities = []
    for angle in ROTATIONS:
        shares = rotation_shares(angle, kept.size)
        boxes = np.array([_box((0, 0, *kept.size), _anchored(centre, s)) for s in shares])
        turned_values, turned_quality, _ = _hash_boxes(_turned_part(kept, angle, boxes), boxes)
        values += turned_values
        qualities.append(turned_quality)
        plan += [
            (f"{centre.name} turned {angle:+g}° ({s:.0%} of the copy)", b) for s, b in zip(shares, boxes, strict=True)
        ]
    quality = np.concatenate(qualities)
    return [
        Probe(centre.id, v, source, False, int(q))
        for (source, _), v, q in zip(plan, _mask_all(values, [centre.id] * len(values)), quality, strict=True)
        if q >= MIN_REGION_QUALITY
    ]


def _turned_part(picture: Image.Image, angle: float, boxes: NDArray[np.float64]) -> Image.Image:
    """``picture.rotate(angle, BILINEAR)`` where ``boxes`` (pixels) reach, black elsewhere: by the compiled kernel,
    only those pixels (the same bytes as Pillow's rotation); without it, Pillow's rotation of the whole."""
    if _core is None:
        return picture.rotate(angle, resample=Image.Resampling.BILINEAR)
    width, height = picture.size
    x0 = max(0, math.floor(boxes[:, 0].min()))
    y0 = max(0, math.floor(boxes[:, 1].min()))
    x1 = min(width, math.ceil(boxes[:, 2].max()))
    y1 = min(height, math.ceil(boxes[:, 3].max()))
    # A box under 65 pixels reads past its edges (each grid cell takes at least one pixel): turn all of that side.
    if (boxes[:, 2] - boxes[:, 0]).min() < _GRID + 1:
        x0, x1 = 0, width
    if (boxes[:, 3] - boxes[:, 1]).min() < _GRID + 1:
        y0, y1 = 0, height
    # Image.rotate's matrix (no expand, about the centre): output (x, y) samples the input at matrix . (x, y, 1).
    turn = -math.radians(angle)
    a, b = round(math.cos(turn), 15), round(math.sin(turn), 15)
    d, e = round(-math.sin(turn), 15), round(math.cos(turn), 15)
    cx, cy = width / 2.0, height / 2.0
    matrix = (a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy)
    out = np.zeros((height, width), np.uint8)
    _core.turn(np.ascontiguousarray(np.asarray(picture, np.uint8)), width, height, matrix, x0, y0, x1, y1, out)
    return Image.fromarray(out)


_DIHEDRAL_NAMES = (
    "as is",
    "turned 90°",
    "turned 180°",
    "turned 270°",
    "mirrored left-right",
    "mirrored top-bottom",
    "mirrored on a diagonal",
    "mirrored on the other diagonal",
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A probe near a listed value: which listed image (any label), region, distance and the probe's source."""

    label: object
    region: int
    distance: int
    source: str
    aligned: bool
    #: The probe's quality (PDQ's measure of its part of the query).
    quality: int = 100


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a query matches a listed image: the hits that decided it, and the rule that accepted them."""

    label: object
    rule: str  # "whole", "single" or "regions"
    hits: tuple[Hit, ...]
    trimmed: bool

    @property
    def distance(self) -> int:
        """The best distance among the deciding hits."""
        return min(h.distance for h in self.hits)

    def describe(self) -> str:
        """A reviewer's reading, e.g. "region 3 of 6 (top-right 75%) at distance 12, border trimmed"."""
        parts = []
        for hit in sorted(self.hits, key=lambda h: (h.region, h.distance)):
            region = REGIONS[hit.region]
            parts.append(
                f"region {hit.region + 1} of {len(REGIONS)} ({region.name}) at distance {hit.distance}"
                + (f" by the query's {hit.source}" if hit.source != region.name else "")
            )
        return "; ".join(parts) + (", border trimmed" if self.trimmed else "")


def decide(hits: Iterable[Hit], trimmed: bool, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Evidence]:
    """The listed images the hits give enough evidence for, best first.

    A listed image matches when at least three different regions each agree within ``multi`` with the same part of
    the query (geometry consistent: independent parts of both pictures agree), or exactly two do with distances
    adding up to at most ``pair``; or its whole trimmed picture is within ``whole`` of the query's (or of a mirror
    image or quarter turn of it); or one probe, e.g. the query's whole picture taken as a crop, is within
    ``single`` of one of its regions (``single_low_quality`` when the probe's quality is below ``lone_quality``).
    """
    by_label: dict[object, list[Hit]] = {}
    for hit in hits:
        by_label.setdefault(hit.label, []).append(hit)
    found: list[Evidence] = []
    for label, group in by_label.items():
        best: dict[int, Hit] = {}
        for hit in group:
            if not hit.aligned:
                continue
            if hit.region not in best or hit.distance < best[hit.region].distance:
                best[hit.region] = hit
        whole = [h for h in group if h.region == 0 and h.aligned and h.distance <= thresholds.whole]
        agreeing = [h for h in best.values() if h.distance <= thresholds.multi]
        if len(agreeing) >= 3 or (len(agreeing) == 2 and sum(h.distance for h in agreeing) <= thresholds.pair):
            found.append(Evidence(label, "regions", tuple(agreeing), trimmed))
        elif whole:
            found.append(Evidence(label, "whole", (min(whole, key=lambda h: h.distance),), trimmed))
        else:
            lone = [h for h in group if h.distance <= _lone_limit(h, thresholds) or _corroborated(h, group, thresholds)]
            if lone:
                found.append(Evidence(label, "single", (min(lone, key=lambda h: h.distance),), trimmed))
    found.sort(key=lambda e: (-len(e.hits), e.distance))
    return found


def _lone_limit(hit: Hit, thresholds: Thresholds) -> int:
    """The distance a lone probe must be within: tighter when its own quality is low."""
    return thresholds.single if hit.quality >= thresholds.lone_quality else thresholds.single_low_quality


def _corroborated(hit: Hit, group: list[Hit], thresholds: Thresholds) -> bool:
    """A lone probe of good quality at the edge of :attr:`Thresholds.single`, with another probe of the same region
    near too (one crop found at two neighbouring shares of the search)."""
    return (
        hit.quality >= thresholds.lone_quality
        and hit.distance <= thresholds.single_corroborated
        and any(
            h.region == hit.region and h.source != hit.source and h.distance <= thresholds.corroborating for h in group
        )
    )


def probe_limit(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> int:
    """The search radius of probes: the loosest of the rule's distances."""
    return max(thresholds.whole, thresholds.single, thresholds.multi)


def contributed(values: Sequence[RegionValue]) -> list[str]:
    """The values worth contributing (quality at least :data:`MIN_REGION_QUALITY`), deduplicated, in region order."""
    return list(dict.fromkeys(v.value for v in values if v.quality >= MIN_REGION_QUALITY))


__all__ = [
    "DEFAULT_THRESHOLDS",
    "REGIONS",
    "Evidence",
    "Hit",
    "Probe",
    "Region",
    "RegionSet",
    "RegionValue",
    "Thresholds",
    "contributed",
    "decide",
    "mask",
    "probe_limit",
    "query_probes",
    "region_mask",
    "picture_box",
    "region_values",
    "rotation_shares",
    "trim_box",
    "working_copy",
]
