"""Region hashes (pdqr) on the hub: stored and fed like any hash, matched by the evidence rule in file lookups."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from sharedhash.hashing.media import hash_media
from sharedhash.hashing.samples import make_sample
from tests.support.api import add, flip, lookup, new_list
from tests.support.hub import Hub


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def _listed(hub: Hub, picture: Image.Image) -> tuple[dict[str, object], list[str], str]:
    media = hash_media(_jpeg(picture), ("pdq", "pdqr"))
    lst = new_list(hub)
    entry = add(hub, lst["id"], ("pdq", media.hashes["pdq"]), *(("pdqr", v) for v in media.pdqr_values))
    return entry, media.pdqr_values, media.hashes["pdq"]


def _file(hub: Hub, data: bytes) -> dict[str, object]:
    r = hub.client.post("/v1/lookup/file", files={"file": ("upload.jpg", data)}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_hub_stores_and_feeds_every_region_value(hub: Hub) -> None:
    entry, regions, _ = _listed(hub, make_sample("texture", 480, 360, seed=21))
    stored = entry["hashes"]
    assert isinstance(stored, list)
    assert sorted(h["value"] for h in stored if h["hash_type"] == "pdqr") == sorted(regions)
    page = hub.client.get(f"/v1/hash-lists/{entry['list_id']}/feed", headers=hub.auth("owner")).json()
    (change,) = page["changes"]
    fed = sorted(h["value"] for h in change["entry"]["hashes"] if h["hash_type"] == "pdqr")
    assert fed == sorted(regions)


def test_file_lookup_finds_a_padded_and_a_captioned_copy_with_its_evidence(hub: Hub) -> None:
    picture = make_sample("texture", 480, 360, seed=22)
    entry, _, _ = _listed(hub, picture)
    padded = Image.new("RGB", (480, 600), (0, 0, 0))
    padded.paste(picture, (0, 120))
    body = _file(hub, _jpeg(padded))
    assert "pdqr" in body["hash_types"]  # type: ignore[operator]
    matches = body["matches"]
    assert isinstance(matches, list)
    assert [(m["hash_type"], m["entry_id"]) for m in matches] == [("pdqr", entry["id"])]
    assert matches[0]["evidence"].startswith("region 1 of 6 (whole picture) at distance ")
    assert matches[0]["evidence"].endswith("border trimmed")
    assert body["hash_types"][matches[0]["query"]] == "pdqr"  # type: ignore[index]
    captioned = picture.copy()
    ImageDraw.Draw(captioned).rectangle((0, 290, 480, 360), fill=(250, 250, 250))
    ImageDraw.Draw(captioned).text((10, 300), "zorblax quimbly", fill=(0, 0, 0))
    found = _file(hub, _jpeg(captioned))["matches"]
    assert isinstance(found, list)
    assert [m["entry_id"] for m in found] == [entry["id"]]
    # An unrelated picture finds nothing.
    assert _file(hub, _jpeg(make_sample("texture", 480, 360, seed=23)))["matches"] == []


def test_a_single_region_value_matches_only_within_its_tight_distance(hub: Hub) -> None:
    entry, regions, pdq = _listed(hub, make_sample("texture", 480, 360, seed=24))
    # The list's threshold (31) holds for pdq; a lone region value needs 22 or less.
    assert [m["entry_id"] for m in lookup(hub, ("pdq", flip(pdq, 28)))] == [entry["id"]]
    assert lookup(hub, ("pdqr", flip(regions[1], 28))) == []
    assert [m["distance"] for m in lookup(hub, ("pdqr", flip(regions[1], 20)))] == [20]
