"""The compiled region kernels (_regioncore.c) against the numpy path of regions.py, their oracle.

Grids and qualities must be identical; hashes identical too, except where a DCT coefficient ties the median to
within rounding (flat or exactly symmetric grids), where the two summation orders may put it either side: such a
hash is not defined by the picture in the first place (numpy's own BLAS can differ between machines there).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from sharedhash.hashing import regions
from sharedhash.hashing.pdq import PixelSource
from sharedhash.hashing.samples import SAMPLE_NAMES, make_sample

pytestmark = pytest.mark.skipif(regions._core is None, reason="the region kernel was not compiled (no C compiler)")


def _picture(kind: str, width: int, height: int, seed: int) -> Image.Image:
    if kind == "noise":
        rng = np.random.default_rng(seed)
        return Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8))
    if kind == "flat":
        return Image.new("L", (width, height), 90 + seed % 100)
    return make_sample(kind, width, height, seed=seed).convert("L")


def _random_boxes(rng: np.random.Generator, width: int, height: int, n: int) -> NDArray[np.float64]:
    """Boxes anywhere: inside, partly outside, under 64 pixels, empty, inverted."""
    left = rng.uniform(-0.2, 1.0, n) * width
    top = rng.uniform(-0.2, 1.0, n) * height
    right = left + rng.uniform(-0.05, 1.2, n) * width
    bottom = top + rng.uniform(-0.05, 1.2, n) * height
    return np.stack([left, top, right, bottom], axis=1)


def _median_gap(grid: NDArray[np.float64]) -> float:
    """How far apart the two middle DCT coefficients are, relative to the largest (0: a tie)."""
    d = regions._dct_matrix()
    coef = np.sort((d @ grid @ d.T).reshape(-1))
    return float((coef[128] - coef[127]) / max(np.abs(coef).max(), 1.0))


KINDS = (*SAMPLE_NAMES, "noise", "flat")


@pytest.mark.parametrize("kind", KINDS)
def test_kernel_equals_numpy_on_random_boxes(kind: str) -> None:
    rng = np.random.default_rng(len(kind))
    compared = ties = 0
    for trial in range(12):
        width, height = int(rng.integers(5, 420)), int(rng.integers(5, 420))
        picture = _picture(kind, width, height, trial)
        boxes = _random_boxes(rng, width, height, 40)
        c_values, c_quality, c_variants = regions._hash_boxes(picture, boxes, dihedral=True)
        n_values, n_quality, n_variants = regions._hash_boxes(picture, boxes, dihedral=True, compiled=False)
        assert c_quality.tolist() == n_quality.tolist()
        grids = regions._Canvas(picture).grids(boxes)
        for i, (c, n) in enumerate(zip(c_values, n_values, strict=True)):
            compared += 1
            if c != n:
                assert _median_gap(grids[i]) < 1e-9, (kind, (width, height), boxes[i].tolist())
                ties += 1
        if _median_gap(grids[0]) >= 1e-9:
            assert c_variants == n_variants
    assert compared == 12 * 40
    if kind in ("texture", "noise", "gradient"):
        assert ties == 0  # pictures without flat parts or exact symmetries: bit for bit


def test_kernel_equals_numpy_on_a_photo(testdata: Path) -> None:
    """A photo of the test data, its working copy and 300 boxes of it: the same hashes and qualities."""
    with Image.open(testdata / "pdq" / "bridge-mods" / "aaa-orig.jpg") as im:
        picture = regions.working_copy(PixelSource(im.convert("RGB")))
    boxes = _random_boxes(np.random.default_rng(3), *picture.size, 300)
    c_values, c_quality, _ = regions._hash_boxes(picture, boxes)
    n_values, n_quality, _ = regions._hash_boxes(picture, boxes, compiled=False)
    assert c_quality.tolist() == n_quality.tolist()
    assert c_values == n_values


def test_empty_box_list_and_tiny_pictures() -> None:
    picture = _picture("texture", 5, 7, 1)
    values, quality, variants = regions._hash_boxes(picture, np.zeros((0, 4)), dihedral=True)
    assert (values, quality.tolist(), variants) == ([], [], [])
    boxes = np.array([[0.0, 0.0, 5.0, 7.0], [1.0, 1.0, 1.0, 1.0]])
    compiled, oracle = regions._hash_boxes(picture, boxes), regions._hash_boxes(picture, boxes, compiled=False)
    assert compiled[1].tolist() == oracle[1].tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_uniform_lines_equal_numpy(kind: str) -> None:
    rng = np.random.default_rng(7)
    for trial in range(10):
        width, height = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        base = np.asarray(_picture(kind, max(width, 5), max(height, 5), trial))[:height, :width].copy()
        # bands of near-uniform lines with a few odd pixels, as borders with a little text on them
        base[: height // 4] = np.clip(120 + rng.integers(-12, 13, (height // 4, width)), 0, 255)
        base[:, : width // 5] = 30
        grey = np.ascontiguousarray(base, dtype=np.uint8)
        left, top = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (left, top, int(rng.integers(left, width + 1)), int(rng.integers(top, height + 1)))
        for columns in (False, True):
            compiled = regions._uniform_lines(grey, box, columns=columns)
            oracle = regions._uniform_lines(grey.astype(np.float32), box, columns=columns)
            assert compiled.tolist() == oracle.tolist()


def test_trim_box_is_the_same_by_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    picture = make_sample("texture", 300, 200, seed=4)
    padded = Image.new("RGB", (420, 260), (250, 250, 250))
    padded.paste(picture, (60, 20))
    grey = padded.convert("L")
    compiled = regions.trim_box(grey)
    monkeypatch.setattr(regions, "_core", None)
    assert regions.trim_box(grey) == compiled == (60, 20, 360, 220)


def test_bad_arguments_are_refused() -> None:
    core = regions._core
    pixels = np.zeros((10, 10), np.uint8)
    coef, quality, packed = np.empty((1, 256)), np.empty(1, np.int64), np.empty((1, 32), np.uint8)
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    with pytest.raises(ValueError, match="pixels must be"):
        core.hashes(pixels, 11, 10, box, regions._dct_matrix(), coef, quality, packed)
    with pytest.raises(ValueError, match="boxes float64"):
        core.hashes(pixels, 10, 10, box, regions._dct_matrix(), np.empty((2, 256)), quality, packed)
    with pytest.raises(ValueError, match="finite"):
        core.hashes(pixels, 10, 10, np.array([[0.0, np.nan, 1.0, 1.0]]), regions._dct_matrix(), coef, quality, packed)
    with pytest.raises(ValueError, match="bad picture or box"):
        core.uniform(pixels, 10, 10, 0, 0, 11, 10, False, 10.0, 0.95, np.empty(10, np.uint8))
    with pytest.raises(ValueError, match="out must be"):
        core.uniform(pixels, 10, 10, 0, 0, 10, 10, False, 10.0, 0.95, np.empty(9, np.uint8))


@pytest.mark.parametrize("angle", [-3.5, 3.5, 1.0, 7.0, -12.5, 30.0])
def test_turning_only_the_probed_part_gives_pillow_s_rotation_there(angle: float) -> None:
    """The query's turned centre: the kernel turns only the pixels the boxes cover, the same bytes as Pillow."""
    rng = np.random.default_rng(int(angle * 10) % 97)
    for seed, kind in enumerate(("texture", "shapes", "rings", "noise", "gradient")):
        picture = _picture(kind, int(rng.integers(20, 300)), int(rng.integers(20, 300)), seed)
        boxes = np.array(
            [regions._box((0, 0, *picture.size), regions._anchored(regions.REGIONS[1], s)) for s in (0.6, 0.7, 0.78)]
        )
        whole = np.asarray(picture.rotate(angle, resample=Image.Resampling.BILINEAR))
        part = np.asarray(regions._turned_part(picture, angle, boxes))
        left, top = int(boxes[:, 0].min()), int(boxes[:, 1].min())
        right, bottom = int(np.ceil(boxes[:, 2].max())), int(np.ceil(boxes[:, 3].max()))
        assert np.array_equal(part[top:bottom, left:right], whole[top:bottom, left:right])
        if min((boxes[:, 2] - boxes[:, 0]).min(), (boxes[:, 3] - boxes[:, 1]).min()) >= 65:  # else a whole side
            outside = np.ones(part.shape, bool)
            outside[top:bottom, left:right] = False
            assert not part[outside].any()
        turned = Image.fromarray(whole)
        assert regions._hash_boxes(Image.fromarray(part), boxes)[0] == regions._hash_boxes(turned, boxes)[0]


def test_turn_refuses_bad_arguments() -> None:
    pixels = np.zeros((10, 10), np.uint8)
    matrix = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="bad box"):
        regions._core.turn(pixels, 10, 10, matrix, 0, 0, 11, 10, np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="pixels and out"):
        regions._core.turn(pixels, 10, 10, matrix, 0, 0, 10, 10, np.zeros((9, 10), np.uint8))


def test_query_probes_and_region_values_are_the_same_without_the_kernel(
    testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end, on a photo and on a padded copy of it (trimmed): every probe and region value, by either path."""
    with Image.open(testdata / "pdq" / "bridge-mods" / "aaa-orig.jpg") as im:
        photo = im.convert("RGB")
    padded = Image.new("RGB", (photo.width + 80, photo.height + 200), (20, 20, 20))
    padded.paste(photo, (40, 150))
    for picture in (photo, padded):
        src = PixelSource(picture)
        compiled = regions.query_probes(src), regions.region_values(src)
        with monkeypatch.context() as patch:
            patch.setattr(regions, "_core", None)
            oracle = regions.query_probes(src), regions.region_values(src)
        assert compiled == oracle
        assert compiled[0][1].trimmed == (picture is padded)
