"""``sharedhash match``: hash files and folders, report matches from a hash file or a saved index."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing import hash_media
from sharedhash.hashing.samples import make_sample

runner = CliRunner()


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip().startswith("{")]


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    make_sample("shapes", 320, 240).save(folder / "shapes.png")
    make_sample("rings", 320, 240).save(folder / "nested" / "rings.png")
    make_sample("shapes", 320, 240).rotate(90, expand=True).save(folder / "shapes-rotated.png")
    return folder


@pytest.fixture
def known(tmp_path: Path, images: Path) -> Path:
    shapes = hash_media(images / "shapes.png").hashes
    path = tmp_path / "known.csv"
    path.write_text(f"hash_type,value,id\npdq,{shapes['pdq']},quuxvid-1\nmd5,{shapes['md5']},quuxvid-2\n")
    return path


def test_match_with_a_hash_file(images: Path, known: Path) -> None:
    result = runner.invoke(app, ["match", "--hashes", str(known), "--json", str(images)])
    assert result.exit_code == 0, result.output
    by_name = {Path(str(line["path"])).name: line for line in lines(result.output)}
    assert set(by_name) == {"shapes.png", "rings.png", "shapes-rotated.png"}
    shapes = by_name["shapes.png"]["matches"]
    assert {(m["hash_type"], m["id"], m["distance"]) for m in shapes} == {  # type: ignore[attr-defined]
        ("pdq", "quuxvid-1", 0),
        ("md5", "quuxvid-2", 0),
    }
    assert by_name["rings.png"]["matches"] == []
    assert by_name["shapes-rotated.png"]["matches"] == []


def test_dihedral_finds_the_rotated_copy_and_a_saved_index_works(tmp_path: Path, images: Path, known: Path) -> None:
    runner.invoke(app, ["index", "build", "--hashes", str(known), "--out", str(tmp_path / "idx")])
    args = ["match", "--index", str(tmp_path / "idx"), "--dihedral", "--json", str(images / "shapes-rotated.png")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = lines(result.output)
    assert [m["id"] for m in line["matches"]] == ["quuxvid-1"]  # type: ignore[attr-defined]
    human = runner.invoke(app, args[:-2] + [str(images)])
    assert "MATCH" in human.output
    assert "no match" in human.output


@pytest.mark.conformance
def test_reference_dihedral_images_match_with_dihedral(testdata: Path, tmp_path: Path) -> None:
    with (testdata / "pdq" / "expected.csv").open() as f:
        original = next(r for r in csv.DictReader(f) if r["path"] == "dihedral/bridge-1-original.jpg")
    known = tmp_path / "known.jsonl"
    known.write_text(json.dumps({"hash_type": "pdq", "value": original["pdq_reference"], "id": "plimmerbolt"}) + "\n")
    result = runner.invoke(
        app, ["match", "--hashes", str(known), "--dihedral", "--json", str(testdata / "pdq" / "dihedral")]
    )
    assert result.exit_code == 0, result.output
    assert all(line["matches"] for line in lines(result.output))
    assert len(lines(result.output)) == 8


def test_bad_arguments_and_files(tmp_path: Path, images: Path, known: Path) -> None:
    neither = runner.invoke(app, ["match", "--json", str(images)])
    assert neither.exit_code == 2
    assert "exactly one" in lines(neither.output)[0]["error"]["message"]  # type: ignore[index]
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    result = runner.invoke(app, ["match", "--hashes", str(known), "--json", str(junk), str(images / "shapes.png")])
    assert result.exit_code == 2  # grep's convention: an error wins over a match
    first, second = lines(result.output)
    assert "error" in first
    assert second["matches"]
