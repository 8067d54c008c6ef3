"""Videos on the hub (issue 14): vpdq entries (long values), export/import, lookups of videos against listed videos
and images, of images against listed videos, video uploads to /v1/lookup/file and their errors. SQLite and
PostgreSQL (the ``hub`` fixture runs on both when PostgreSQL is configured)."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest

from sharedhash.hashing.video import hash_video
from sharedhash.hashing.vpdq import VpdqFrame, VpdqHash, parse
from tests.support.api import add, assert_error, lookup, new_list
from tests.support.hub import Hub
from tests.support.video_clips import write_clip


def _clip(tmp_path: Path, seed: int, frames: int = 40) -> tuple[Path, str]:
    """A benign generated clip (10 fps, 160x120) and its vpdq value (one hashed frame a second)."""
    path = write_clip(tmp_path / f"clip-{seed}.mp4", frames=frames, fps=10, width=160, height=120, seed=seed)
    return path, hash_video(path, digests=()).vpdq.serialise()


def _long_value(frames: int, seed: int = 0, quality: int = 90) -> str:
    """A synthetic vpdq value of ``frames`` random frames (an hour hashed once a second: 3,600 frames, ~310 KB)."""
    rng = random.Random(seed)
    return VpdqHash(
        tuple(VpdqFrame(i * 30, quality, f"{rng.getrandbits(256):064x}", float(i)) for i in range(frames))
    ).serialise()


def _export(hub: Hub, list_id: int, fmt: str) -> str:
    r = hub.client.get(f"/v1/hash-lists/{list_id}/export", params={"format": fmt}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    return str(r.text)


def _import(hub: Hub, list_id: int, body: str, fmt: str) -> dict[str, Any]:
    r = hub.client.post(
        f"/v1/hash-lists/{list_id}/import",
        params={"format": fmt},
        content=body.encode(),
        headers={**hub.auth("owner"), "Content-Type": "text/csv" if fmt == "csv" else "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_long_vpdq_entries_are_stored_deduplicated_exported_and_imported(hub: Hub) -> None:
    hour = _long_value(3600)
    assert len(hour) > 300_000
    lst = new_list(hub)
    entry = add(hub, lst["id"], ("vpdq", hour), ("md5", "ab" * 16), classification="A1", labels=["zorblax;x"])
    assert [h["value"] for h in entry["hashes"] if h["hash_type"] == "vpdq"] == [hour]
    # Exact dedupe of long values: the same value again is the same entry; one frame different is another.
    again = hub.client.post(
        f"/v1/hash-lists/{lst['id']}/entries",
        json={"hashes": [{"hash_type": "vpdq", "value": hour}]},
        headers=hub.auth("owner"),
    )
    assert again.status_code in (200, 409), again.text
    assert again.status_code == 409 or again.json()["id"] == entry["id"]
    other = _long_value(3600, seed=1)
    assert add(hub, lst["id"], ("vpdq", other))["id"] != entry["id"]

    jsonl = _export(hub, lst["id"], "jsonl")
    assert hour in jsonl
    copy = new_list(hub, name="copy")
    assert _import(hub, copy["id"], jsonl, "jsonl")["created"] == 2
    exported_csv = _export(hub, lst["id"], "csv")
    rows = list(csv.DictReader(io.StringIO(exported_csv)))
    assert sorted(r["vpdq"] for r in rows) == sorted([hour, other])
    assert f'"{hour}"' in exported_csv  # quoted: the value holds commas and semicolons
    assert '"zorblax;x"' in exported_csv
    copy2 = new_list(hub, name="copy2")
    result = _import(hub, copy2["id"], exported_csv, "csv")
    assert (result["created"], result["errors"]) == (2, [])
    # Re-importing is idempotent (the duplicate check finds long values too).
    assert _import(hub, copy2["id"], exported_csv, "csv")["existing"] == 2
    assert lookup(hub, ("vpdq", hour))[0]["listed_percent"] == 100.0


def test_bad_vpdq_values_get_specific_errors(hub: Hub) -> None:
    lst = new_list(hub)

    def post(value: str) -> Any:
        return hub.client.post(
            f"/v1/hash-lists/{lst['id']}/entries",
            json={"hashes": [{"hash_type": "vpdq", "value": value}]},
            headers=hub.auth("owner"),
        )

    assert_error(post(_long_value(20, quality=49)), 400, "low_quality_video_hash")
    assert_error(post("vpdq1;0,90,zz,0.0"), 400, "invalid_hash")
    assert_error(post(_long_value(30_000)), 413, "hash_value_too_long")
    assert_error(post("x" * (5 * 1024 * 1024)), 422, "invalid_request")  # over any value's limit: the schema's
    r = hub.client.post(
        "/v1/lookup", json={"hashes": [{"hash_type": "vpdq", "value": _long_value(30_000)}]}, headers=hub.auth("owner")
    )
    assert_error(r, 413, "hash_value_too_long")
    # A value of an ordinary type over its type's 512 characters.
    r = hub.client.post(
        "/v1/lookup", json={"hashes": [{"hash_type": "md5", "value": "a" * 600}]}, headers=hub.auth("owner")
    )
    assert_error(r, 413, "hash_value_too_long")


def test_videos_match_listed_videos_frames_match_images_and_images_match_frames(hub: Hub, tmp_path: Path) -> None:
    _, listed = _clip(tmp_path, seed=1)
    _, unrelated = _clip(tmp_path, seed=5)
    videos = new_list(hub, name="videos")
    images = new_list(hub, name="images")
    video_entry = add(hub, videos["id"], ("vpdq", listed), classification="A1")
    frame = parse(listed).frames[2]  # the frame at 2 s, listed as an image
    image_entry = add(hub, images["id"], ("pdq", frame.pdq), classification="B1")

    matches = lookup(hub, ("vpdq", listed))
    by_entry = {m["entry_id"]: m for m in matches}
    whole = by_entry[video_entry["id"]]
    assert (whole["hash_type"], whole["distance"], whole["query_percent"], whole["listed_percent"]) == (
        "vpdq",
        0,
        100.0,
        100.0,
    )
    assert whole["query_seconds"] == whole["listed_seconds"] == [{"start": 0.0, "end": 3.0, "frames": 4}]
    assert "matched_hash_type" not in whole
    as_frames = by_entry[image_entry["id"]]
    assert (as_frames["matched_hash_type"], as_frames["distance"]) == ("pdq", 0)
    assert {"start": 2.0, "end": 2.0, "frames": 1} in as_frames["query_seconds"]

    image_hits = lookup(hub, ("pdq", frame.pdq))
    assert {m["entry_id"] for m in image_hits} == {video_entry["id"], image_entry["id"]}
    in_video = next(m for m in image_hits if m["entry_id"] == video_entry["id"])
    assert in_video["matched_hash_type"] == "vpdq"
    assert in_video["listed_seconds"][0]["start"] <= 2.0 <= in_video["listed_seconds"][-1]["end"]

    assert lookup(hub, ("vpdq", unrelated)) == []
    # Visibility holds for video matches too.
    assert lookup(hub, ("vpdq", listed), who="stranger") == []
    assert lookup(hub, ("pdq", frame.pdq), who="stranger") == []


def _post_file(hub: Hub, data: bytes, name: str = "upload.mp4") -> Any:
    return hub.client.post("/v1/lookup/file", files={"file": (name, data)}, headers=hub.auth("owner"))


@pytest.fixture
def upload_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the hub's temporary upload files go during the test (checked empty afterwards)."""
    where = tmp_path / "uploads"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_video_file_lookup_matches_and_keeps_nothing(hub: Hub, tmp_path: Path, upload_tmp: Path) -> None:
    path, listed = _clip(tmp_path, seed=2)
    digests = hash_video(path).hashes
    lst = new_list(hub)
    entry = add(hub, lst["id"], ("vpdq", listed))
    images = new_list(hub, name="images")
    image_entry = add(hub, images["id"], ("pdq", parse(listed).frames[1].pdq))
    md5_entry = add(hub, lst["id"], ("md5", digests["md5"]))
    r = _post_file(hub, path.read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["hash_types"] == ["md5", "sha1", "sha256", "vpdq"]
    assert body["pdq_quality"] is None
    found = {(m["hash_type"], m["entry_id"]) for m in body["matches"]}
    assert found == {("md5", md5_entry["id"]), ("vpdq", entry["id"]), ("vpdq", image_entry["id"])}
    whole = next(m for m in body["matches"] if m["entry_id"] == entry["id"])
    assert whole["listed_percent"] == 100.0
    assert list(upload_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda good: good[: len(good) // 3], "truncated_video"),
        (lambda good: good[:32] + bytes(4096), "corrupt_media"),
        (lambda good: b"\x00\x00\x00\x18ftypmp42" + b"plimmerbolt 9" * 50, "not_a_video"),
    ],
    ids=["truncated", "zeroed", "header-only"],
)
def test_bad_video_uploads_get_specific_errors_and_leave_no_file(
    hub: Hub, tmp_path: Path, upload_tmp: Path, make: Any, code: str
) -> None:
    path, _ = _clip(tmp_path, seed=3)
    r = _post_file(hub, make(path.read_bytes()))
    assert r.status_code in (400, 413, 415, 422), r.text
    assert r.json()["error"]["code"] in {code, "corrupt_media", "truncated_video", "not_a_video"}
    assert list(upload_tmp.iterdir()) == []


def test_video_upload_over_the_video_limit_is_refused(hub: Hub, tmp_path: Path, upload_tmp: Path) -> None:
    path, _ = _clip(tmp_path, seed=4)
    hub.settings.max_video_bytes = 1000
    assert_error(_post_file(hub, path.read_bytes()), 413, "file_too_large")
    assert list(upload_tmp.iterdir()) == []


def _video(frames: list[str]) -> str:
    return VpdqHash(tuple(VpdqFrame(i * 30, 90, h, float(i)) for i, h in enumerate(frames))).serialise()


def test_each_list_has_its_own_video_match_rule(hub: Hub) -> None:
    """The reference's rule by default (80% of the listed video's frames); a list may ask for less or more, and
    for a share of the query's frames too; a change applies to the next lookup."""
    rng = random.Random(5)
    listed_frames = [f"{rng.getrandbits(256):064x}" for _ in range(10)]
    other_frames = [f"{rng.getrandbits(256):064x}" for _ in range(4)]
    listed = _video(listed_frames)
    partial = _video(listed_frames[:6] + other_frames)  # 60% of the listed frames; 6 of the query's 10 frames
    strict = new_list(hub, name="reference-rule")
    loose = new_list(hub, name="loose", video_listed_percent=50)
    both = new_list(hub, name="both-sides", video_listed_percent=50, video_query_percent=90)
    assert (strict["video_listed_percent"], strict["video_query_percent"]) == (80, 0)
    for lst in (strict, loose, both):
        add(hub, lst["id"], ("vpdq", listed))
    whole = lookup(hub, ("vpdq", listed))
    assert {m["list_name"] for m in whole} == {"reference-rule", "loose", "both-sides"}
    (hit,) = lookup(hub, ("vpdq", partial))
    assert hit["list_name"] == "loose"
    assert (hit["listed_percent"], hit["query_percent"]) == (60.0, 60.0)
    r = hub.client.patch(f"/v1/hash-lists/{strict['id']}", json={"video_listed_percent": 60}, headers=hub.auth("owner"))
    assert r.status_code == 200, r.text
    assert {m["list_name"] for m in lookup(hub, ("vpdq", partial))} == {"reference-rule", "loose"}
    for bad in ({"video_listed_percent": 101}, {"video_query_percent": -1}, {"video_listed_percent": "80"}):
        assert_error(
            hub.client.patch(f"/v1/hash-lists/{strict['id']}", json=bad, headers=hub.auth("owner")),
            422,
            "invalid_request",
        )
    assert (
        hub.client.get(f"/v1/hash-lists/{strict['id']}", headers=hub.auth("owner")).json()["video_listed_percent"] == 60
    )
