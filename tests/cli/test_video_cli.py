"""``sharedhash hash`` and ``match`` with videos: vpdq and digests in JSON lines, video and image lists."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import cast

import av
from PIL import Image
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing.samples import make_sample
from sharedhash.hashing.video import hash_video
from sharedhash.hashing.vpdq import parse
from tests.support.video_clips import write_clip

runner = CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def _frame_png(clip: Path, number: int, out: Path) -> Path:
    with av.open(str(clip)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == number:
                frame.to_image().save(out)  # type: ignore[no-untyped-call]
                return out
    raise AssertionError("frame not found")


def test_hash_folder_of_videos_and_images(tmp_path: Path) -> None:
    write_clip(tmp_path / "a.mp4", frames=30, width=96, height=64, seed=1)
    write_clip(tmp_path / "b.mkv", frames=20, width=64, height=48, seed=2)
    make_sample("rings", 120, 90).save(tmp_path / "c.jpg")
    (tmp_path / "d.mp4").write_bytes(b"not a video at all, zorblax")
    result = runner.invoke(app, ["hash", "--json", "-w", "2", str(tmp_path)])
    assert result.exit_code == 1  # d.mp4 failed, the others were hashed
    out = {Path(str(o["path"])).name: o for o in _lines(result.stdout)}
    a = out["a.mp4"]
    assert a["kind"] == "video"
    assert set(cast("dict[str, str]", a["hashes"])) == {"vpdq", "md5", "sha1", "sha256"}
    expected = hash_video(tmp_path / "a.mp4")
    assert a["hashes"]["vpdq"] == expected.vpdq.serialise()  # type: ignore[index]
    assert a["hashes"]["md5"] == expected.hashes["md5"]  # type: ignore[index]
    assert [f.frame_number for f in parse(a["hashes"]["vpdq"]).frames] == [0, 10, 20]  # type: ignore[index]
    assert out["b.mkv"]["kind"] == "video"
    assert set(cast("dict[str, str]", out["c.jpg"]["hashes"])) == {"pdq", "md5", "sha1", "sha256"}
    assert out["d.mp4"]["error"]["code"] == "unsupported_media"  # type: ignore[index]
    every = runner.invoke(app, ["hash", "--json", "--seconds-per-hash", "0", "-t", "vpdq", str(tmp_path / "a.mp4")])
    (line,) = _lines(every.stdout)
    assert line["vpdq_frames"] == 30
    assert list(cast("dict[str, str]", line["hashes"])) == ["vpdq"]
    human = runner.invoke(app, ["hash", str(tmp_path / "a.mp4")])
    assert "vpdq=3 frames" in human.stdout


def test_match_videos_against_video_and_image_lists(tmp_path: Path) -> None:
    listed = write_clip(tmp_path / "listed.mp4", frames=60, width=96, height=64, seed=3)
    other = write_clip(tmp_path / "other.mp4", frames=40, width=96, height=64, seed=9)
    frame = _frame_png(listed, 30, tmp_path / "frame30.png")
    video_value = hash_video(listed).vpdq.serialise()
    frame_pdq = json.loads(runner.invoke(app, ["hash", "--json", str(frame)]).stdout)["hashes"]["pdq"]
    known = tmp_path / "known.csv"
    with known.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["hash_type", "value", "id"])
        w.writerow(["vpdq", video_value, "listed-video"])
        w.writerow(["pdq", frame_pdq, "listed-frame"])
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "copy.mp4").write_bytes(listed.read_bytes())
    (queries / "other.mp4").write_bytes(other.read_bytes())
    Image.open(frame).save(queries / "still.png")
    result = runner.invoke(app, ["match", "--json", "--hashes", str(known), str(queries)])
    assert result.exit_code == 0, result.output
    out = {Path(str(o["path"])).name: o for o in _lines(result.stdout)}
    copy = {m["id"]: m for m in out["copy.mp4"]["matches"]}  # type: ignore[attr-defined]
    assert copy["listed-video"]["listed_percent"] == 100.0
    assert copy["listed-video"]["query_seconds"]
    # A frame of the query video is a listed image: reported with the second where it is.
    assert copy["listed-frame"]["hash_type"] == "pdq"
    assert any(r["start"] <= 3.0 <= r["end"] for r in copy["listed-frame"]["query_seconds"])
    assert not any(m["id"] == "listed-video" for m in out["other.mp4"]["matches"])  # type: ignore[attr-defined]
    # An image that is a frame of a listed video matches that video, at its second.
    still = {m["id"]: m for m in out["still.png"]["matches"]}  # type: ignore[attr-defined]
    assert still["listed-video"]["hash_type"] == "vpdq"
    assert any(r["start"] <= 3.0 <= r["end"] for r in still["listed-video"]["listed_seconds"])
    # The same through a saved index folder.
    folder = tmp_path / "idx"
    assert runner.invoke(app, ["index", "build", "--hashes", str(known), "--out", str(folder)]).exit_code == 0
    again = runner.invoke(app, ["match", "--json", "--index", str(folder), str(queries / "copy.mp4")])
    assert {m["id"] for m in _lines(again.stdout)[0]["matches"]} == {"listed-video", "listed-frame"}  # type: ignore[attr-defined]
    human = runner.invoke(app, ["match", "--hashes", str(known), str(queries / "copy.mp4")])
    assert "MATCH" in human.stdout
    assert "100% of its frames" in human.stdout
