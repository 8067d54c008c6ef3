"""``sharedhash hash`` and ``sharedhash match`` with region hashes (pdqr): crops and padding PDQ misses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing.samples import make_sample

runner = CliRunner()


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip().startswith("{")]


def _write_copies(folder: Path) -> Path:
    """A listed picture and copies of it: padded, cropped, captioned; and an unrelated picture."""
    folder.mkdir()
    picture = make_sample("texture", 480, 360, seed=11)
    picture.save(folder / "listed.png")
    padded = Image.new("RGB", (480, 560), (255, 255, 255))
    padded.paste(picture, (0, 100))
    padded.save(folder / "padded.jpg", quality=90)
    picture.crop((24, 18, 456, 342)).save(folder / "cropped.jpg", quality=90)
    captioned = picture.copy()
    ImageDraw.Draw(captioned).rectangle((0, 300, 480, 360), fill=(0, 0, 0))
    captioned.save(folder / "captioned.jpg", quality=90)
    make_sample("texture", 480, 360, seed=12).save(folder / "other.png")
    return folder


def test_hash_emits_every_region_value_on_request(tmp_path: Path) -> None:
    folder = _write_copies(tmp_path / "imgs")
    result = runner.invoke(app, ["hash", "--types", "pdq,pdqr", "--json", "--workers", "1", str(folder / "padded.jpg")])
    assert result.exit_code == 0, result.output
    (line,) = _lines(result.output)
    assert set(line["hashes"]) == {"pdq", "pdqr"}
    regions = line["pdqr"]
    assert isinstance(regions, list)
    assert len(regions) == 6
    assert regions[0] == line["hashes"]["pdqr"]
    assert line["border_trimmed"] is True


def test_match_finds_padded_cropped_and_captioned_copies_with_evidence(tmp_path: Path) -> None:
    folder = _write_copies(tmp_path / "imgs")
    listed = runner.invoke(app, ["hash", "--types", "pdq,pdqr", "--json", str(folder / "listed.png")])
    (line,) = _lines(listed.output)
    known = tmp_path / "known.csv"
    rows = [f"pdq,{line['hashes']['pdq']},zorblax-1"]
    rows += [f"pdqr,{v},zorblax-1" for v in line["pdqr"]]
    known.write_text("hash_type,value,id\n" + "\n".join(rows) + "\n")
    result = runner.invoke(app, ["match", "--hashes", str(known), "--json", str(folder)])
    assert result.exit_code == 0, result.output
    by_name = {Path(str(x["path"])).name: x["matches"] for x in _lines(result.output)}
    assert by_name["other.png"] == []
    assert [m["hash_type"] for m in by_name["listed.png"]] == ["pdq"]
    for name in ("padded.jpg", "cropped.jpg", "captioned.jpg"):
        found = by_name[name]
        assert isinstance(found, list)
        assert [m["id"] for m in found] == ["zorblax-1"], name
    (padded,) = by_name["padded.jpg"]
    assert padded["hash_type"] == "pdqr"
    assert padded["evidence"].startswith("region 1 of 6 (whole picture) at distance ")
    assert padded["evidence"].endswith(", border trimmed")
    human = runner.invoke(app, ["match", "--hashes", str(known), str(folder / "padded.jpg")])
    assert "MATCH" in human.output
    assert "border trimmed" in human.output
