"""Region hashes (pdqr): border trimming, the values, the query probes and the evidence rule."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from sharedhash.hashing import hash_media
from sharedhash.hashing.pdq import PixelSource
from sharedhash.hashing.regions import (
    REGIONS,
    Hit,
    Thresholds,
    _hash_boxes,
    _hash_boxes_coefficients,
    _mirrored,
    decide,
    mask,
    picture_box,
    query_probes,
    region_mask,
    region_values,
    rotation_shares,
    trim_box,
    working_copy,
)
from sharedhash.hashing.samples import make_sample


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _photo() -> Image.Image:
    return make_sample("texture", 480, 360, seed=7)


def _padded(
    image: Image.Image, left: int, top: int, right: int, bottom: int, colour: tuple[int, int, int]
) -> Image.Image:
    out = Image.new("RGB", (image.width + left + right, image.height + top + bottom), colour)
    out.paste(image, (left, top))
    return out


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_trim_box_removes_uniform_borders_of_any_colour() -> None:
    picture = _photo()
    padded = _padded(picture, 40, 0, 120, 60, (30, 60, 200))
    box = trim_box(padded.convert("L"))
    assert box == (40, 0, 40 + picture.width, picture.height)


def test_trim_box_keeps_a_picture_without_borders_and_a_flat_one_whole() -> None:
    picture = _photo().convert("L")
    assert trim_box(picture) == (0, 0, *picture.size)
    flat = Image.new("L", (300, 200), 128)
    assert trim_box(flat) == (0, 0, 300, 200)


def test_trim_box_keeps_the_whole_when_too_little_would_remain() -> None:
    small = Image.new("L", (20, 20), 255)
    image = _padded(small.convert("RGB"), 0, 0, 300, 300, (0, 0, 0)).convert("L")
    ImageDraw.Draw(image).rectangle((2, 2, 12, 12), fill=0)
    assert trim_box(image) == (0, 0, *image.size)


def test_pdq_is_unchanged_by_asking_for_regions() -> None:
    data = _jpeg(_photo())
    assert hash_media(data, ("pdq",)).hashes["pdq"] == hash_media(data, ("pdq", "pdqr")).hashes["pdq"]


def test_region_values_are_masked_pdq_of_each_region() -> None:
    data = _jpeg(_photo())
    media = hash_media(data, ("pdqr",))
    assert media.regions is not None
    assert [v.region for v in media.regions.values] == [r.id for r in REGIONS]
    assert media.hashes["pdqr"] == media.regions.values[0].value
    assert len(set(media.pdqr_values)) == len(REGIONS)
    assert all(len(v) == 64 for v in media.pdqr_values)
    # The masks differ per region and undo themselves.
    assert len({region_mask(r.id) for r in REGIONS}) == len(REGIONS)
    value = media.regions.values[2].value
    assert mask(mask(value, 2), 2) == value


def test_letterboxed_and_padded_copies_give_the_same_whole_picture_value() -> None:
    picture = _photo()
    listed = hash_media(_jpeg(picture), ("pdqr",)).hashes["pdqr"]
    for copy in (
        _padded(picture, 0, 90, 0, 90, (0, 0, 0)),
        _padded(picture, 150, 0, 0, 0, (255, 255, 255)),
        _padded(picture, 60, 60, 60, 60, (128, 128, 128)),
    ):
        media = hash_media(_jpeg(copy), ("pdq", "pdqr"))
        assert media.regions is not None
        assert media.regions.trimmed
        assert _distance(media.hashes["pdqr"], listed) <= 16


def test_a_flat_image_contributes_nothing_and_sends_no_probes() -> None:
    data = _jpeg(Image.new("RGB", (200, 200), (90, 90, 90)))
    media = hash_media(data, ("pdqr",), probes=True)
    assert media.pdqr_values == []
    assert media.probes == []


def test_probes_aim_at_every_region_with_its_own_mask() -> None:
    picture = _photo()
    probes, own = query_probes(PixelSource(picture))
    aimed = {(p.region, p.source) for p in probes if p.aligned}
    assert {(0, "whole picture")} | {(r.id, r.name) for r in REGIONS[1:]} <= aimed
    assert any("turned" in p.source for p in probes)
    # Every region but the whole is searched as a crop, anchored where it sits.
    crops = {p.region for p in probes if "as a crop" in p.source}
    assert crops == {r.id for r in REGIONS[1:]}
    listed = region_values(PixelSource(picture))
    # The query's own region k equals the listed region k of the same picture; other regions sit far away.
    for region in REGIONS[1:]:
        probe = next(p for p in probes if p.region == region.id and p.source == region.name)
        assert probe.value == listed.values[region.id].value
        for other in listed.values:
            if other.region != region.id:
                assert _distance(probe.value, other.value) > 64
    assert own.values == listed.values


def test_working_copy_is_small_grey_and_upright() -> None:
    picture = make_sample("shapes", 1200, 400)
    work = working_copy(PixelSource(picture))
    assert work.mode == "L"
    assert work.size == (256, 85)
    turned = working_copy(PixelSource(picture, orientation=6))
    assert turned.size == (85, 256)


def _hit(label: str, region: int, distance: int, aligned: bool = True, source: str = "", quality: int = 100) -> Hit:
    return Hit(label, region, distance, source or REGIONS[region].name, aligned, quality)


def test_two_aligned_regions_match_one_alone_does_not() -> None:
    t = Thresholds(whole=31, single=24, multi=40, pair=56)
    assert decide([_hit("a", 2, 38)], False, t) == []
    found = decide([_hit("a", 2, 26), _hit("a", 3, 30)], False, t)
    assert [(e.label, e.rule) for e in found] == [("a", "regions")]
    # Two regions at the loose distance are not enough together; a third agreeing region is.
    assert decide([_hit("a", 2, 38), _hit("a", 3, 39)], False, t) == []
    found = decide([_hit("a", 2, 38), _hit("a", 3, 39), _hit("a", 5, 40)], False, t)
    assert [(e.label, e.rule, len(e.hits)) for e in found] == [("a", "regions", 3)]
    # The same region twice is one piece of evidence, not two.
    assert decide([_hit("a", 2, 38), _hit("a", 2, 30, source="centre 70% turned +4°")], False, t) == []


def test_crop_hypotheses_need_the_tight_distance() -> None:
    t = Thresholds(whole=31, single=24, multi=40)
    crop = _hit("b", 1, 26, aligned=False, source="whole picture")
    assert decide([crop], False, t) == []
    # Two crop hypotheses from the one whole-picture probe are not independent evidence either.
    assert decide([crop, _hit("b", 2, 30, aligned=False, source="whole picture")], False, t) == []
    found = decide([_hit("b", 1, 20, aligned=False, source="whole picture")], True, t)
    assert [(e.label, e.rule) for e in found] == [("b", "single")]
    assert (
        found[0].describe() == "region 2 of 6 (centre 70%) at distance 20 by the query's whole picture, border trimmed"
    )


def test_a_lone_probe_of_low_quality_needs_the_tighter_distance() -> None:
    t = Thresholds(whole=31, single=22, multi=40, single_low_quality=16, lone_quality=80)
    assert [e.rule for e in decide([_hit("d", 1, 18, aligned=False, quality=90)], False, t)] == ["single"]
    assert decide([_hit("d", 1, 18, aligned=False, quality=64)], False, t) == []
    assert [e.rule for e in decide([_hit("d", 1, 14, aligned=False, quality=64)], False, t)] == ["single"]
    assert decide([_hit("d", 1, 24, aligned=False, quality=100)], False, t) == []
    # At the edge, a lone probe is enough when a neighbouring share of the same search agrees too.
    near = _hit("d", 1, 30, aligned=False, source="centre 70% as a crop (84% of the copy)")
    edge = _hit("d", 1, 24, aligned=False, source="centre 70% as a crop (86% of the copy)")
    assert [e.rule for e in decide([edge, near], False, t)] == ["single"]
    assert (
        decide([edge, _hit("d", 1, 34, aligned=False, source="centre 70% as a crop (84% of the copy)")], False, t) == []
    )
    low = _hit("d", 1, 24, aligned=False, source="centre 70% as a crop (86% of the copy)", quality=64)
    assert decide([low, near], False, t) == []


def test_whole_pictures_match_at_the_whole_threshold() -> None:
    t = Thresholds(whole=31, single=24, multi=40)
    found = decide([_hit("c", 0, 29, source="whole picture, mirrored left-right")], True, t)
    assert [(e.label, e.rule, e.distance) for e in found] == [("c", "whole", 29)]
    assert "region 1 of 6 (whole picture) at distance 29" in found[0].describe()
    assert decide([_hit("c", 0, 33, source="whole picture")], True, t) == []


@pytest.mark.parametrize("angle", [-4, 4])
def test_a_slightly_turned_copy_is_probed_by_a_turned_centre(angle: int) -> None:
    picture = _photo()
    turned = picture.rotate(angle, resample=Image.Resampling.BILINEAR)
    listed = region_values(PixelSource(picture)).values[1].value
    probes, _ = query_probes(PixelSource(turned))
    best = min(_distance(p.value, listed) for p in probes if p.region == 1)
    assert best <= 24


@pytest.mark.parametrize("angle", [-5, 5])
def test_a_turned_copy_cropped_free_of_its_corners_is_probed_at_the_crop_s_share(angle: int) -> None:
    picture = _photo()
    a = math.radians(abs(angle))
    keep = 1 / (math.cos(a) + math.sin(a) * picture.width / picture.height)
    turned = picture.rotate(angle, resample=Image.Resampling.BILINEAR)
    dx, dy = round(picture.width * (1 - keep) / 2), round(picture.height * (1 - keep) / 2)
    copy = turned.crop((dx, dy, picture.width - dx, picture.height - dy))
    listed = region_values(PixelSource(picture)).values[1].value
    probes, _ = query_probes(PixelSource(copy))
    turned_probes = [p for p in probes if "turned" in p.source]
    best = min(turned_probes, key=lambda p: _distance(p.value, listed))
    assert _distance(best.value, listed) <= 24
    # Turned back (the opposite way), at a step next to 5° (4.5° or 6°), at the corner-free crop's share.
    assert ("turned -" if angle > 0 else "turned +") in best.source
    assert "(70% of the copy)" not in best.source


def test_rotation_shares_are_the_centre_as_turned_and_in_the_corner_free_crop() -> None:
    assert rotation_shares(0.0, (400, 300)) == pytest.approx((0.7, 0.7))
    as_turned, cropped = rotation_shares(-4.5, (400, 300))
    a = math.radians(4.5)
    assert as_turned == pytest.approx(0.7)
    assert cropped == pytest.approx(0.7 * (math.cos(a) + math.sin(a) * 4 / 3))
    assert rotation_shares(60.0, (400, 100))[1] == 1.0  # never more than the whole copy


@pytest.mark.parametrize("side", ["width", "height"])
def test_an_aspect_changing_crop_is_found_by_the_centre_cut_on_one_side(side: str) -> None:
    picture = _photo()
    w, h = picture.size
    copy = picture.crop((48, 0, w - 48, h)) if side == "width" else picture.crop((0, 36, w, h - 36))  # 20% of a side
    listed = region_values(PixelSource(picture)).values[1].value
    probes, _ = query_probes(PixelSource(copy))
    best = min((p for p in probes if p.region == 1), key=lambda p: _distance(p.value, listed))
    assert _distance(best.value, listed) <= 24
    assert f"as a crop of the {side}" in best.source


def _window(picture: Image.Image, share: float) -> tuple[Image.Image, tuple[int, int]]:
    """``picture`` at ``share`` of a window: a light canvas, a title bar with invented text, and lines of text beside
    the picture (which trimming alone cannot remove)."""
    cw, ch = round(picture.width / share), round(picture.height / share)
    out = Image.new("RGB", (cw, ch), (240, 240, 240))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, cw, 24), fill=(60, 90, 160))
    draw.text((10, 6), "zorblax viewer - quimbly frandle " * 3, fill=(255, 255, 255))
    at = (cw - picture.width - 20, 40)
    for line in range(40, 40 + picture.height, 16):
        draw.text((10, line), "quimbly frandle", fill=(0, 0, 0))
    out.paste(picture, at)
    return out, at


def test_picture_box_finds_the_picture_inside_a_window() -> None:
    picture = _photo()
    window, (x, y) = _window(picture, 0.6)
    work = working_copy(PixelSource(window))
    scale = work.width / window.width
    box = picture_box(work)
    assert box is not None
    expected = (x * scale, y * scale, (x + picture.width) * scale, (y + picture.height) * scale)
    assert all(abs(got - want) <= 2 for got, want in zip(box, expected, strict=True))
    assert trim_box(work) != box  # the text beside the picture stays after trimming
    # A picture alone has nothing inside it to find.
    assert picture_box(working_copy(PixelSource(picture))) is None


def test_a_screenshot_matches_by_the_picture_found_inside() -> None:
    picture = _photo()
    window, _ = _window(picture, 0.5)
    listed = {v.region: v.value for v in region_values(PixelSource(picture)).values}
    probes, _ = query_probes(PixelSource(window))
    inside = [p for p in probes if "found inside" in p.source]
    assert {p.region for p in inside} == {r.id for r in REGIONS}
    assert all(p.aligned for p in inside)
    hits = [
        Hit("listed", p.region, d, p.source, p.aligned)
        for p in probes
        if (d := _distance(p.value, listed[p.region])) <= 40
    ]
    found = decide(hits, True)
    assert [e.label for e in found] == ["listed"]
    assert any("found inside" in h.source for h in found[0].hits)


@pytest.mark.parametrize("cut", [0.1, 0.2])
def test_a_mirrored_crop_is_found_by_the_mirrored_centre(cut: float) -> None:
    picture = _photo()
    w, h = picture.size
    dx, dy = round(w * cut / 2), round(h * cut / 2)
    copy = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).crop((dx, dy, w - dx, h - dy))
    listed = region_values(PixelSource(picture)).values[1].value
    probes, _ = query_probes(PixelSource(copy))
    best = min((p for p in probes if p.region == 1), key=lambda p: _distance(p.value, listed))
    assert _distance(best.value, listed) <= 24
    assert best.source.endswith("mirrored left-right")
    assert not best.aligned
    # Without the dihedral search (a plain lookup), no mirrored probes are sent.
    plain, _ = query_probes(PixelSource(copy), dihedral=False)
    assert not any("mirrored" in p.source for p in plain)


@pytest.mark.parametrize("cut", [0.15, 0.2])
def test_an_off_centre_crop_is_found_by_the_corner_it_keeps(cut: float) -> None:
    # A crop keeping the top-left corner: the listed top-left window takes 0.75 / (1 - cut) of the copy, between
    # the coarser steps of the corner search before (1.05: 0.868 and 0.911 for a 15% crop).
    picture = _photo()
    w, h = picture.size
    copy = picture.crop((0, 0, round(w * (1 - cut)), round(h * (1 - cut))))
    listed = region_values(PixelSource(picture)).values[2].value
    probes, _ = query_probes(PixelSource(copy))
    best = min((p for p in probes if p.region == 2), key=lambda p: _distance(p.value, listed))
    assert _distance(best.value, listed) <= 24
    assert "top-left 75% as a crop" in best.source


@pytest.mark.parametrize("compiled", [True, False])
def test_mirrored_hashes_from_coefficients_equal_hashes_of_the_mirror_image(compiled: bool) -> None:
    # The mirrored crop probes are taken from the coefficients of the query's own centred boxes: the same values as
    # hashing the same boxes of the mirrored picture, by the kernel and by numpy.
    picture = working_copy(PixelSource(_photo()))
    w, h = picture.size
    boxes = np.array([[w * (1 - s) / 2, h * (1 - s) / 2, w * (1 + s) / 2, h * (1 + s) / 2] for s in (0.7, 0.85, 1.0)])
    values, _, coef = _hash_boxes_coefficients(picture, boxes, compiled=compiled)
    flipped, _, _ = _hash_boxes(picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT), boxes, compiled=compiled)
    assert _mirrored(coef) == flipped
    assert all(_distance(a, b) > 64 for a, b in zip(values, flipped, strict=True))  # mirroring changed them
