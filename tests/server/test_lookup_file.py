"""``POST /v1/lookup/file``: the upload is hashed in memory (PDQ and digests) and looked up; rotations with dihedral."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sharedhash.hashing.media import hash_media
from sharedhash.hashing.samples import make_sample
from sharedhash.settings import get_settings
from tests.support.api import add, assert_error, new_list
from tests.support.hub import Hub


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def _post(hub: Hub, data: bytes, **form: str) -> object:
    return hub.client.post(
        "/v1/lookup/file", files={"file": ("upload.jpg", data)}, data=form, headers=hub.auth("owner")
    )


def test_file_lookup_matches_exact_and_rotated_copies(hub: Hub) -> None:
    original = make_sample("shapes", seed=3)
    data = _jpeg(original)
    hashes = hash_media(data).hashes
    lst = new_list(hub)
    entry = add(hub, lst["id"], ("pdq", hashes["pdq"]), ("md5", hashes["md5"]), classification="B2")
    r = _post(hub, data)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["hash_types"] == ["md5", "pdq", "pdqr", "sha1", "sha256"]
    assert body["pdq_quality"] >= 50
    assert {(m["hash_type"], m["distance"], m["entry_id"]) for m in body["matches"]} == {
        ("md5", 0, entry["id"]),
        ("pdq", 0, entry["id"]),
    }
    rotated = _jpeg(original.transpose(Image.Transpose.ROTATE_90))
    assert _post(hub, rotated).json()["matches"] == []  # type: ignore[attr-defined]
    turned = _post(hub, rotated, dihedral="true").json()  # type: ignore[attr-defined]
    assert [(m["hash_type"], m["entry_id"], m["query"]) for m in turned["matches"]] == [("pdq", entry["id"], 1)]
    assert turned["matches"][0]["distance"] <= 31


def test_non_images_match_by_digest_and_bad_uploads_are_refused(hub: Hub) -> None:
    text = b"plimmerbolt 9 is not an image"
    lst = new_list(hub)
    add(hub, lst["id"], ("sha256", hash_media(text, ("sha256",)).hashes["sha256"]))
    body = _post(hub, text).json()  # type: ignore[attr-defined]
    assert body["hash_types"] == ["md5", "sha1", "sha256"]
    assert [m["hash_type"] for m in body["matches"]] == ["sha256"]
    assert_error(_post(hub, b""), 422, "empty_file")
    # The endpoint's own limits (max_file_bytes; videos: max_video_bytes), not the request limit of JSON bodies.
    hub.settings.max_file_bytes = 1000
    too_big = b"\0" * 1001
    r = hub.client.post("/v1/lookup/file", files={"file": ("x.bin", too_big)}, headers=hub.auth("owner"))
    assert_error(r, 413, "limit_exceeded")
    r = hub.client.post("/v1/lookup/file", headers=hub.auth("owner"))
    assert_error(r, 422, "invalid_request")


def test_pixel_limit_refuses_large_images(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREDHASH_MAX_IMAGE_PIXELS", "10000")
    get_settings.cache_clear()
    try:
        assert_error(_post(hub, _jpeg(make_sample("gradient", 200, 200))), 422, "image_too_large")
    finally:
        monkeypatch.delenv("SHAREDHASH_MAX_IMAGE_PIXELS")
        get_settings.cache_clear()


def test_file_lookup_answers_the_file_s_hashes_and_the_variant_that_matched(hub: Hub) -> None:
    original = make_sample("shapes", seed=4)
    data = _jpeg(original)
    media = hash_media(data)
    lst = new_list(hub)
    entry = add(hub, lst["id"], ("pdq", media.hashes["pdq"]))
    body = _post(hub, data).json()  # type: ignore[attr-defined]
    # The file's own hashes: every default type's (and the region type's values, which the default set leaves out).
    assert [h for h in body["hashes"] if h["hash_type"] in media.hashes] == [
        {"hash_type": t, "value": v, "quality": media.pdq_quality if t == "pdq" else None}
        for t, v in sorted(media.hashes.items())
    ]
    assert {h["hash_type"] for h in body["hashes"]} - set(media.hashes) <= {"pdqr"}
    assert body["matches"][0]["dihedral_variant"] is None  # not asked for
    assert _post(hub, data, dihedral="true").json()["matches"][0]["dihedral_variant"] == "original"  # type: ignore[attr-defined]
    rotated = _jpeg(original.transpose(Image.Transpose.ROTATE_180))
    # dihedral as a query parameter works as the form field does.
    r = hub.client.post(
        "/v1/lookup/file?dihedral=true", files={"file": ("upload.jpg", rotated)}, headers=hub.auth("owner")
    )
    (match,) = r.json()["matches"]
    assert (match["entry_id"], match["dihedral_variant"]) == (entry["id"], "rot180")
    bad = hub.client.post(
        "/v1/lookup/file?dihedral=zorblax", files={"file": ("upload.jpg", rotated)}, headers=hub.auth("owner")
    )
    assert_error(bad, 422, "invalid_request")
    # A lookup of hashes cannot turn them: the parameter is refused, not ignored.
    refused = hub.client.post(
        "/v1/lookup?dihedral=true",
        json={"hashes": [{"hash_type": "pdq", "value": media.hashes["pdq"]}]},
        headers=hub.auth("owner"),
    )
    assert_error(refused, 400, "invalid_input")
