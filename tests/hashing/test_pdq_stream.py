"""The exact (float32) PDQ path streams rows through a window and reads stored pixels in upright order: it must
still equal the reference bit for bit, in every EXIF orientation, for thin and odd-sized images (issue 18 F2)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sharedhash.hashing import pdq
from sharedhash.hashing.pdq import PixelSource, _emulated, _transpose

pdqhash = pytest.importorskip("pdqhash")
pytestmark = pytest.mark.skipif(not pdq.core_available(), reason="the compiled kernels are not built")


def _reference(image: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return np.packbits(bits.astype(bool)).tobytes().hex(), int(quality)


@pytest.mark.parametrize("seed", range(12))
def test_streamed_exact_path_equals_the_reference_in_every_orientation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [(64, 64), (5, 300), (300, 5), (7, 129)]
    width, height = sizes[seed] if seed < len(sizes) else (int(rng.integers(5, 700)), int(rng.integers(5, 700)))
    ramp = np.linspace(0, 255, width)[None, :, None] * np.linspace(0.2, 1, height)[:, None, None]
    pixels = ramp.astype(np.uint8) ^ rng.integers(0, 64, (height, width, 3), dtype=np.uint8)
    if seed % 4 == 3:
        pixels[:] = 128  # flat: every DCT coefficient ties
    image = Image.fromarray(pixels).convert(("RGB", "L", "RGBA")[seed % 3])
    for orientation in range(1, 9):
        result = _emulated(PixelSource(image, orientation), dihedral=False)
        upright = image if orientation == 1 else _transpose(image, orientation)
        assert (result.hash, result.quality) == _reference(upright), (width, height, orientation)
