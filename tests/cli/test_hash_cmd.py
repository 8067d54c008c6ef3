"""``sharedhash hash``: JSON lines per file, errors per file with the run going on, exit code, folders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing import hash_media
from sharedhash.hashing.samples import make_sample

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i, name in enumerate(("rings", "shapes", "texture")):
        sub = tmp_path / ("nested" if i == 2 else "")
        sub.mkdir(exist_ok=True)
        make_sample(name, 160, 120).save(sub / f"{name}.jpg", quality=90)
    return tmp_path


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_json_lines_for_a_folder_walked_recursively(folder: Path) -> None:
    result = runner.invoke(app, ["hash", "--json", "--workers", "1", str(folder)])
    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert [Path(str(o["path"])).name for o in out] == ["texture.jpg", "rings.jpg", "shapes.jpg"]
    first = out[1]
    expected = hash_media(folder / "rings.jpg")
    assert first == {"path": str(folder / "rings.jpg"), "hashes": expected.hashes, "pdq_quality": expected.pdq_quality}
    assert list(cast(dict[str, str], first["hashes"])) == ["pdq", "md5", "sha1", "sha256"]


def test_a_failing_file_does_not_stop_the_run_and_sets_the_exit_code(folder: Path) -> None:
    (folder / "notes.txt").write_text("quuxvid zorblax\n")
    (folder / "empty.jpg").write_bytes(b"")
    result = runner.invoke(app, ["hash", "--json", "-w", "2", str(folder), str(folder / "absent.png")])
    assert result.exit_code == 1
    out = {Path(str(o["path"])).name: o for o in lines(result.stdout)}
    assert out["notes.txt"]["error"] == {"code": "unsupported_media", "message": out["notes.txt"]["error"]["message"]}  # type: ignore[index]
    assert out["empty.jpg"]["error"]["code"] == "empty_file"  # type: ignore[index]
    assert out["absent.png"]["error"]["code"] == "unreadable_path"  # type: ignore[index]
    assert sum("hashes" in o for o in out.values()) == 3


def test_types_dihedral_and_fast(folder: Path) -> None:
    path = folder / "rings.jpg"
    result = runner.invoke(app, ["hash", "--json", "--types", "pdq,md5", "--dihedral", "--fast", str(path)])
    assert result.exit_code == 0, result.output
    (line,) = lines(result.stdout)
    assert set(cast(dict[str, str], line["hashes"])) == {"pdq", "md5"}
    assert len(line["pdq_dihedral"]) == 8  # type: ignore[arg-type]
    assert line["pdq_dihedral"][0] == line["hashes"]["pdq"]  # type: ignore[index]


def test_crypto_only_hashes_any_file(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"")
    result = runner.invoke(app, ["hash", "--json", "-t", "md5", str(path)])
    assert result.exit_code == 0
    assert lines(result.stdout) == [{"path": str(path), "hashes": {"md5": "d41d8cd98f00b204e9800998ecf8427e"}}]


def test_unknown_type_is_a_clean_error(folder: Path) -> None:
    result = runner.invoke(app, ["hash", "--json", "-t", "pdq,nope", str(folder)])
    assert result.exit_code == 1
    assert lines(result.stdout)[0]["error"]["code"] == "unknown_hash_type"  # type: ignore[index]


def test_human_output(folder: Path) -> None:
    result = runner.invoke(app, ["hash", "-w", "1", str(folder / "rings.jpg")])
    assert result.exit_code == 0
    expected = hash_media(folder / "rings.jpg")
    assert f"pdq={expected.hashes['pdq']}" in result.stdout
    assert "quality=" in result.stdout
