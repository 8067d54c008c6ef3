"""PDQ on generated images against the reference (PyPI pdqhash), for every Pillow mode, size and orientation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sharedhash.errors import ImageTooSmallError
from sharedhash.hashing import hash_media
from sharedhash.hashing.samples import SAMPLE_NAMES, make_sample

pdqhash = pytest.importorskip("pdqhash")

MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "HSV", "I", "I;16", "F", "LAB"]
# Lossless containers, so the decoded pixels are exactly the ones the reference sees.
SAVE_AS = {
    "1": "PNG",
    "L": "PNG",
    "LA": "PNG",
    "P": "PNG",
    "RGB": "PNG",
    "RGBA": "PNG",
    "I;16": "PNG",
    "I": "TIFF",
    "F": "TIFF",
    "CMYK": "TIFF",
    "YCbCr": "TIFF",
    "LAB": "TIFF",
    "RGBX": "TIFF",
    "PA": "WEBP",
    "HSV": "WEBP",
}


def reference(image: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return np.packbits(bits.astype(bool)).tobytes().hex(), int(quality)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


@st.composite
def images(draw: st.DrawFn) -> Image.Image:
    # Mostly small, sometimes large: sizes up to 4000x3000 stay rare so the suite stays fast.
    big = draw(st.integers(0, 19)) == 0
    hi_w, hi_h = (4000, 3000) if big else (400, 300)
    width, height = draw(st.integers(1, hi_w)), draw(st.integers(1, hi_h))
    kind = draw(st.sampled_from(["noise", "blocks", "flat", "sample"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "noise":
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        return Image.fromarray(rgb, "RGB")
    if kind == "blocks":
        small = rng.integers(0, 256, (max(1, height // 9), max(1, width // 9), 3), dtype=np.uint8)
        return Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.NEAREST)
    if kind == "flat":
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        return Image.new("RGB", (width, height), colour)
    return make_sample(draw(st.sampled_from(SAMPLE_NAMES)), width, height, seed=seed % 1000)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=images(), mode=st.sampled_from(MODES))
def test_equals_the_reference_bit_for_bit(image: Image.Image, mode: str) -> None:
    converted = image.convert(mode)
    data = encode(converted, SAVE_AS[mode])
    decoded = Image.open(io.BytesIO(data))
    if min(image.size) < 5:
        # The reference returns an all-zero hash of quality 0; we say why instead.
        with pytest.raises(ImageTooSmallError):
            hash_media(data, ("pdq",))
        assert reference(decoded)[1] == 0
        return
    expected, quality = reference(decoded)
    ours = hash_media(data, ("pdq",))
    assert ours.hashes["pdq"] == expected
    assert ours.pdq_quality == quality


@settings(max_examples=40, deadline=None)
@given(image=images(), orientation=st.integers(1, 8), dihedral=st.booleans())
def test_exif_orientation_equals_hashing_the_upright_pixels(
    image: Image.Image, orientation: int, dihedral: bool
) -> None:
    if min(image.size) < 5:
        return
    undo = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }
    # Store the pixels so that applying the EXIF orientation gives back `image`.
    stored = image if orientation == 1 else image.transpose(undo[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    tagged = encode(stored, "PNG", exif=exif.tobytes())
    upright = encode(image, "PNG")
    a = hash_media(tagged, ("pdq",), dihedral=dihedral)
    b = hash_media(upright, ("pdq",), dihedral=dihedral)
    assert a == b


def test_animated_images_hash_their_first_frame() -> None:
    frames = [make_sample(name, 120, 90) for name in ("rings", "shapes", "texture")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    first = encode(Image.open(io.BytesIO(data)).convert("RGB"), "PNG")
    assert hash_media(data, ("pdq",)) == hash_media(first, ("pdq",))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF"])
def test_every_supported_format_equals_the_reference_on_its_decoded_pixels(fmt: str) -> None:
    from PIL import features

    if fmt == "AVIF" and not features.check("avif"):
        pytest.skip("this Pillow has no AVIF codec")
    data = encode(make_sample("shapes", 300, 200, seed=5), fmt)
    ours = hash_media(data, ("pdq",))
    assert (ours.hashes["pdq"], ours.pdq_quality) == reference(Image.open(io.BytesIO(data)))


def test_heic_through_the_heif_extra_equals_the_reference_on_its_decoded_pixels() -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="the heif extra (pillow-heif) is not installed")
    out = io.BytesIO()
    pillow_heif.from_pillow(make_sample("shapes", 300, 200, seed=5)).save(out, quality=90)
    data = out.getvalue()
    assert data[4:12] == b"ftypheic"
    ours = hash_media(data, ("pdq", "md5"))
    pillow_heif.register_heif_opener()
    assert (ours.hashes["pdq"], ours.pdq_quality) == reference(Image.open(io.BytesIO(data)))
