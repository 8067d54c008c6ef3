"""PDQ conformance against Meta's reference data (shared/testdata/pdq/expected.csv) and PyPI pdqhash."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from sharedhash.hashing import get_hash_type, hash_media

pytestmark = pytest.mark.conformance


def _rows(testdata: Path) -> list[dict[str, str]]:
    with (testdata / "pdq" / "expected.csv").open() as f:
        return list(csv.DictReader(f))


def _distance(a: str, b: str) -> int:
    return get_hash_type("pdq").compare(a, b, threshold=256).distance


def test_every_reference_image_is_bit_exact_with_equal_quality(testdata: Path) -> None:
    rows = _rows(testdata)
    assert len(rows) == 47
    mismatches = []
    for row in rows:
        result = hash_media(testdata / "pdq" / row["path"], ("pdq", "md5"))
        assert result.hashes["md5"] == row["md5"], row["path"]
        distance = _distance(result.hashes["pdq"], row["pdq_reference_exif_transposed"])
        if distance or result.pdq_quality != int(row["quality_reference"]):
            mismatches.append((row["path"], distance, result.pdq_quality, row["quality_reference"]))
    assert mismatches == []


def test_exif_orientation_is_applied_before_hashing(testdata: Path) -> None:
    # The four files are four upright shots of one desk, stored sideways or upside down with the EXIF tag that
    # turns them upright: the reference with EXIF applied is the target, without it the hash is far off.
    for row in _rows(testdata):
        if row["path"].startswith("exif-rotation/") and not row["path"].endswith("-1.jpg"):
            ours = hash_media(testdata / "pdq" / row["path"], ("pdq",)).hashes["pdq"]
            assert ours == row["pdq_reference_exif_transposed"]
            assert _distance(ours, row["pdq_reference"]) > 64


def test_dihedral_variants_match_the_rotated_files(testdata: Path) -> None:
    folder = testdata / "pdq" / "dihedral"
    names = [
        "1-original",
        "2-rotate-90",
        "3-rotate-180",
        "4-rotate-270",
        "5-flipx",
        "6-flipy",
        "7-flip-plus-1",
        "8-flip-minus-1",
    ]
    variants = hash_media(folder / "bridge-1-original.jpg", ("pdq",), dihedral=True).pdq_dihedral
    assert variants is not None
    assert len(variants) == 8
    for name, variant in zip(names, variants, strict=True):
        direct = hash_media(folder / f"bridge-{name}.jpg", ("pdq",)).hashes["pdq"]
        assert _distance(variant, direct) <= 10, name


def test_dihedral_equals_the_reference_dihedral(testdata: Path) -> None:
    pdqhash = pytest.importorskip("pdqhash")
    path = testdata / "pdq" / "bridge-mods" / "aaa-orig.jpg"
    rgb = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    expected, quality = pdqhash.compute_dihedral(rgb)
    ours = hash_media(path, ("pdq",), dihedral=True)
    assert ours.pdq_quality == quality
    assert ours.pdq_dihedral == [np.packbits(b.astype(bool)).tobytes().hex() for b in expected]
