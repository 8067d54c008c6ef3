"""Dihedral variants of a PDQ hash derived from its bits: the 8 rotations and mirror images of the image.

PDQ's 256 bits are the signs, against their median, of a 16x16 block of DCT coefficients (row i: vertical
frequency i+1, column j: horizontal frequency j+1; hex word i holds row i, bit j column j). Mirroring the image
left-right negates the coefficients of odd horizontal frequency (even j), top-bottom those of odd vertical
frequency, and transposing the image transposes the block. A negated coefficient flips its bit exactly when
it lies outside the band between the old and new medians, so the derived hash differs from the hash of the
transformed image by a few bits (measured in docs/index.md); hashing the transformed image is exact.
"""

from __future__ import annotations

import numpy as np

from sharedhash.hashing.pdq import bits_to_hex, hex_to_bits

#: Names of the variants, in the order :func:`dihedral_variants` returns them.
#: The names of Meta's reference images (shared/testdata/pdq/dihedral): flip-x mirrors about the x axis.
VARIANTS = ("original", "rotate-90", "rotate-180", "rotate-270", "flip-x", "flip-y", "flip-plus-1", "flip-minus-1")

_ODD_FREQ = (np.arange(16) % 2 == 0).astype(np.uint8)  # index j has frequency j + 1


def _flip_x(bits: np.ndarray) -> np.ndarray:
    flipped: np.ndarray = bits ^ _ODD_FREQ[None, :]
    return flipped


def _flip_y(bits: np.ndarray) -> np.ndarray:
    flipped: np.ndarray = bits ^ _ODD_FREQ[:, None]
    return flipped


def dihedral_variants(value: str) -> list[str]:
    """The PDQ hashes of the 8 dihedral transforms of the image hashed to ``value``, original first."""
    b = hex_to_bits(value.strip().lower())
    t = b.T
    variants = [
        b,
        _flip_y(t),  # a quarter turn is a transpose then a mirror
        _flip_x(_flip_y(b)),
        _flip_x(t),
        _flip_y(b),  # mirror about the x axis (top-bottom)
        _flip_x(b),  # mirror about the y axis (left-right)
        t,  # mirror across the main diagonal
        _flip_x(_flip_y(t)),  # mirror across the anti-diagonal
    ]
    return [bits_to_hex(v) for v in variants]
