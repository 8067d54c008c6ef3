"""PDQ from decoded pixels: bit-for-bit the reference (Meta's C++ via PyPI ``pdqhash``), computed only at the samples.

The reference blurs the whole image (luma, two box-filter passes per axis) and keeps a 64x64 grid of samples.
Box filters are linear, so each sample is a fixed weighted sum of the pixels around it ("tent" weights): we
compute just those 4096 sums, in float64, reading every pixel once. The reference accumulates in float32 and so
carries tiny rounding noise; where the fast result is too close to a tie for that noise to be ruled out (the
median split of the DCT, or a quality step), we re-run the reference's own float32 pipeline (``emulate``) so the
answer is the reference's, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_CORE_ABI = 6


def _load_core() -> Any:
    try:
        from sharedhash.hashing import _pdqcore
    except ImportError:  # built without a C compiler: numpy computes the same values, several times slower
        return None
    # A stale build from an older checkout must not be used with newer Python code.
    return _pdqcore if getattr(_pdqcore, "ABI_VERSION", None) == _CORE_ABI else None


_core: Any = _load_core()

#: Below this many rows or columns the reference returns an all-zero hash of quality 0.
MIN_DIM = 5

# How far the reference's float32 noise can move a value, per unit of (height + width) under the square root.
# Measured against pdqhash.compute_float on photos, noise and textures up to 4000x4000: at most 2.5e-5;
# 1e-4 leaves a 4x margin. Synthetic gradients and stripes drift more (systematically); those rarely sit on a tie.
_NOISE_PER_SQRT_DIM = 1e-4
_NOISE_FLOOR = 1e-3


@dataclass(frozen=True, slots=True)
class PdqResult:
    """A PDQ hash (64 hex chars), its quality (0-100), and the 8 dihedral variants when asked for."""

    hash: str
    quality: int
    dihedral: list[str] | None = None
    exact_fallback: bool = False


def core_available() -> bool:
    """Whether the compiled kernels are in use (otherwise numpy computes the same values, more slowly)."""
    return _core is not None


def _window(n: int) -> int:
    return (n + 127) // 128


def _sample_points(n: int) -> NDArray[np.int64]:
    return ((np.arange(64) + 0.5) * n / 64).astype(np.int64)


@lru_cache(maxsize=256)
def _tent(n: int) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Weights of the reference's two box passes along a line of ``n`` pixels, at its 64 sample points.

    Returns per sample the first pixel, the number of pixels, and the weights (row-major, padded).
    """
    w = _window(n)
    half = (w + 2) // 2
    before, after = w - half, half - 1  # the box covers [i - before, i + after], clipped at the edges
    idx = np.arange(n)
    lo = np.maximum(0, idx - before)
    hi = np.minimum(n - 1, idx + after)
    starts = np.empty(64, np.int32)
    lens = np.empty(64, np.int32)
    rows: list[NDArray[np.float64]] = []
    for si, s in enumerate(_sample_points(n)):
        first, last = lo[lo[s]], hi[hi[s]]
        weights = np.zeros(last - first + 1)
        for k in range(lo[s], hi[s] + 1):
            weights[lo[k] - first : hi[k] - first + 1] += 1.0 / (hi[k] - lo[k] + 1)
        weights /= hi[s] - lo[s] + 1
        starts[si], lens[si] = first, len(weights)
        rows.append(weights)
    table = np.zeros((64, max(len(r) for r in rows)))
    for si, r in enumerate(rows):
        table[si, : len(r)] = r
    return starts, lens, table


@lru_cache(maxsize=256)
def _units(n: int) -> NDArray[np.float64]:
    """Per sample, 1/w**2 where its weights are exact integer multiples of it (away from the edges), else 0.

    The kernel then sums integer multiples of the pixel bytes in float32, which is exact (every partial sum is
    an integer below 2**24), and twice as wide per instruction as float64.
    """
    w = _window(n)
    starts, lens, table = _tent(n)
    units = np.zeros(64)
    if w > 128:  # 255 * w**2 must stay below 2**24
        return units
    for si in range(64):
        multiples = table[si, : lens[si]] * (w * w)
        if np.all(np.abs(multiples - np.round(multiples)) < 1e-9):
            units[si] = 1.0 / (w * w)
    return units


def _flipped(n: int) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """Tent weights for a line that is read backwards (a mirrored axis), in the original pixel order."""
    starts, lens, table = _tent(n)
    flipped = np.zeros_like(table)
    for si in range(64):
        flipped[si, : lens[si]] = table[si, : lens[si]][::-1]
    return (n - (starts + lens)).astype(np.int32), lens, flipped


@lru_cache(maxsize=1)
def _dct() -> NDArray[np.float64]:
    i = np.arange(1, 17)[:, None]
    j = np.arange(64)[None, :]
    return np.asarray(np.sqrt(2 / 64) * np.cos(np.pi / 2 / 64 * i * (2 * j + 1)), dtype=np.float64)


# EXIF orientation -> (output axes swapped?, original rows read backwards?, original columns read backwards?)
_ORIENTATIONS: dict[int, tuple[bool, bool, bool]] = {
    1: (False, False, False),
    2: (False, False, True),
    3: (False, True, True),
    4: (False, True, False),
    5: (True, False, False),
    6: (True, True, False),
    7: (True, True, True),
    8: (True, False, True),
}


@dataclass(frozen=True, slots=True)
class PixelSource:
    """Decoded pixels as the kernels read them: Pillow's memory (or a buffer), geometry, and orientation."""

    image: Image.Image
    orientation: int = 1

    @property
    def grey(self) -> bool:
        return self.image.mode in ("L", "1")

    @property
    def pixelsize(self) -> int:
        return 1 if self.grey else 4

    def core_source(self) -> Any:
        """Pillow's image memory as a capsule, for the kernels to read without a copy (layout checked there)."""
        return self.image.getim()

    def array(self) -> NDArray[np.uint8]:
        """The pixels as a C-contiguous (h, w, channels) uint8 array (a copy; the kernels' fallback)."""
        arr = np.asarray(self.image)
        return np.ascontiguousarray(arr[:, :, None] if arr.ndim == 2 else arr)


def _buffer64(src: PixelSource) -> NDArray[np.float64]:
    """The 64x64 blurred-and-decimated luma of the upright image, in float64."""
    swap, flip_rows, flip_cols = _ORIENTATIONS[src.orientation]
    width, height = src.image.size
    # Weights along original rows (a) and columns (b); z[a][b], transposed when the upright axes are swapped.
    ra = _flipped(height) if flip_rows else _tent(height)
    cb = _flipped(width) if flip_cols else _tent(width)
    z = np.empty((64, 64))
    if _core is None:
        z = _numpy_sample(src, ra, cb)
    else:
        units = _units(height)
        try:
            source, pixelsize = src.core_source(), src.pixelsize
            _core.sample(source, width, height, pixelsize, int(src.grey), *ra, units, *cb, z.reshape(-1))
        except ValueError:  # a Pillow whose memory layout the kernel does not know: give it a copy instead
            arr = src.array()
            _core.sample(arr, width, height, arr.shape[2], int(src.grey), *ra, units, *cb, z.reshape(-1))
    return z.T.copy() if swap else z


def _dense(spec: tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]], n: int) -> NDArray[np.float64]:
    starts, lens, table = spec
    dense = np.zeros((64, n))
    for si in range(64):
        dense[si, starts[si] : starts[si] + lens[si]] = table[si, : lens[si]]
    return dense


def _numpy_sample(
    src: PixelSource,
    ra: tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]],
    cb: tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]],
) -> NDArray[np.float64]:
    px = src.array().astype(np.float64)
    luma = px[:, :, 0] if src.grey else px[:, :, 0] * 0.299 + px[:, :, 1] * 0.587 + px[:, :, 2] * 0.114
    width, height = src.image.size
    result = _dense(ra, height) @ luma.astype(np.float64) @ _dense(cb, width).T
    return np.asarray(result, dtype=np.float64)


def _dct_of(buf: NDArray[np.float64]) -> NDArray[np.float64]:
    """The 16x16 low-frequency DCT of the 64x64 buffer (float64)."""
    if _core is not None:
        out = np.empty(256)
        _core.dct(np.ascontiguousarray(buf).reshape(-1), out)
        return out.reshape(16, 16)
    # Not BLAS: its thread pool would oversubscribe the cores when every core already runs a hashing process.
    d = _dct()
    half = np.einsum("ik,kl->il", d, buf, optimize=False)
    return np.asarray(np.einsum("il,jl->ij", half, d, optimize=False), dtype=np.float64)


def _quality_and_margin(buf: NDArray[np.float64], tol: float) -> tuple[int, bool]:
    """The reference's quality from the 64x64 buffer, and whether float32 noise could change it."""
    if _core is not None:
        quality, unsure = _core.quality(np.ascontiguousarray(buf).reshape(-1), tol)
        return int(quality), bool(unsure)
    b32 = buf.astype(np.float32)
    ambiguous = 0
    total = 0
    for diff in (b32[:-1, :] - b32[1:, :], b32[:, :-1] - b32[:, 1:]):
        scaled = (diff * np.float32(100)) / np.float32(255)
        total += int(np.abs(np.trunc(scaled)).sum())
        # A term can flip only where it lies within the noise of a non-zero integer.
        near = np.abs(scaled - np.round(scaled)) < 2 * tol * 100 / 255
        ambiguous += int((near & (np.round(scaled) != 0)).sum())
    quality = min(100, total // 90)
    low, high = min(100, max(0, total - ambiguous) // 90), min(100, (total + ambiguous) // 90)
    return quality, low != high


# Dihedral variants as (transpose?, sign pattern) on the 16x16 DCT coefficients, in the order of
# pdqhash.compute_dihedral: original, rot90, rot180, rot270, flip x, flip y, flip +1, flip -1.
def _dihedral_coefficients(c: NDArray[Any]) -> list[NDArray[Any]]:
    i = np.arange(16)[:, None]
    j = np.arange(16)[None, :]
    odd_i = (i & 1).astype(bool) & np.ones((16, 16), bool)
    odd_j = (j & 1).astype(bool) & np.ones((16, 16), bool)
    odd_ij = ((i + j) & 1).astype(bool)
    return [
        c,
        np.where(odd_j, c, -c).T,
        np.where(odd_ij, -c, c),
        np.where(odd_i, c, -c).T,
        np.where(odd_i, c, -c),
        np.where(odd_j, c, -c),
        c.T,
        np.where(odd_ij, -c, c).T,
    ]


def bits_to_hex(bits: NDArray[Any]) -> str:
    """The PDQ hex string of 256 bits given row-major over the 16x16 coefficient grid.

    The reference stores bit k in 16-bit word k // 16 (bit k % 16 of it) and prints words 15..0.
    """
    return np.packbits(np.asarray(bits, dtype=bool).reshape(-1)[::-1]).tobytes().hex()


def hex_to_bits(value: str) -> NDArray[np.uint8]:
    """The 16x16 grid of 0/1 bits of a canonical PDQ hex string: the inverse of :func:`bits_to_hex`."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(value), dtype=np.uint8))[::-1].reshape(16, 16)


def _hash_of(c: NDArray[Any]) -> tuple[str, float]:
    """Hash of a 16x16 coefficient grid, and the gap at its median split (how safe the split is)."""
    flat = c.reshape(-1)
    ordered = np.sort(flat)
    median = ordered[127]  # the reference's Torben median of 256 values is the lower one
    return bits_to_hex(flat > median), float(ordered[128] - ordered[127])


def pdq_from_pixels(src: PixelSource, *, dihedral: bool = False, exact: bool = True) -> PdqResult:
    """PDQ of decoded pixels (``src.image`` in its stored orientation, ``src.orientation`` from EXIF).

    ``exact=False`` skips the tie check (used by fast mode, which is approximate anyway).
    Raises ValueError for images with fewer than 5 rows or columns (the caller turns it into a clean error).
    """
    width, height = src.image.size
    if min(width, height) < MIN_DIM:
        raise ValueError(f"{width}x{height} is below PDQ's minimum of {MIN_DIM}x{MIN_DIM}")
    buf = _buffer64(src)
    tol = _NOISE_PER_SQRT_DIM * math.sqrt(width + height) + _NOISE_FLOOR
    quality, quality_unsure = _quality_and_margin(buf, tol)
    coef = _dct_of(buf)
    variants = _dihedral_coefficients(coef) if dihedral else [coef]
    results = [_hash_of(v) for v in variants]
    unsure = quality_unsure or any(gap <= 2 * tol for _, gap in results)
    if exact and unsure and _core is not None:
        return _emulated(src, dihedral=dihedral)
    hashes = [h for h, _ in results]
    return PdqResult(hash=hashes[0], quality=quality, dihedral=hashes if dihedral else None)


def _emulated(src: PixelSource, *, dihedral: bool) -> PdqResult:
    """The reference's float32 pipeline on the upright image (rare: only near ties). The kernel reads the stored
    pixels in upright order and keeps only a window of rows (no upright copy, no full-size float buffers: a
    maximal image needs a few megabytes beyond its pixels)."""
    width, height = src.image.size
    out = np.zeros(256, np.float32)
    try:
        quality = int(
            _core.emulate(src.core_source(), width, height, src.pixelsize, int(src.grey), out, src.orientation)
        )
    except ValueError:
        arr = src.array()
        quality = int(_core.emulate(arr, width, height, arr.shape[2], int(src.grey), out, src.orientation))
    coef: NDArray[Any] = out.reshape(16, 16)
    variants = _dihedral_coefficients(coef) if dihedral else [coef]
    hashes = [_hash_of(v)[0] for v in variants]
    return PdqResult(hash=hashes[0], quality=quality, dihedral=hashes if dihedral else None, exact_fallback=True)


_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _transpose(image: Image.Image, orientation: int) -> Image.Image:
    """The image as ``ImageOps.exif_transpose`` would show it."""
    return image.transpose(_TRANSPOSE_FOR_ORIENTATION[orientation])


__all__ = ["MIN_DIM", "PdqResult", "PixelSource", "core_available", "pdq_from_pixels"]
