"""``sharedhash index build`` and ``index query``: saved index folders, JSON lines, errors naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import app

runner = CliRunner()
A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
NEAR_A = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22"  # 2 bits away
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def hash_file(tmp_path: Path) -> Path:
    path = tmp_path / "known.csv"
    path.write_text(f"hash_type,value,id\npdq,{A},entry-1\nmd5,{MD5},entry-2\npdq,{'0' * 64},\n")
    return path


def test_build_then_query(tmp_path: Path, hash_file: Path) -> None:
    built = runner.invoke(app, ["index", "build", "--hashes", str(hash_file), "--out", str(tmp_path / "idx"), "--json"])
    assert built.exit_code == 0, built.output
    assert lines(built.output)[0]["hashes"] == {"md5": 1, "pdq": 2}
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"hash_type": "pdq", "value": NEAR_A}) + "\n" + json.dumps({"hash_type": "md5", "value": MD5}) + "\n"
    )
    result = runner.invoke(
        app, ["index", "query", "--index", str(tmp_path / "idx"), "--hashes", str(queries), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert lines(result.output) == [
        {"query": NEAR_A, "hash_type": "pdq", "matches": [{"id": "entry-1", "value": A, "distance": 2}]},
        {"query": MD5, "hash_type": "md5", "matches": [{"id": "entry-2", "value": MD5, "distance": 0}]},
    ]


def test_query_plain_values_with_a_distance(tmp_path: Path, hash_file: Path) -> None:
    runner.invoke(app, ["index", "build", "--hashes", str(hash_file), "--out", str(tmp_path / "idx")])
    plain = tmp_path / "plain.txt"
    plain.write_text(f"{NEAR_A}\n{'0' * 64}\n")
    args = ["index", "query", "--index", str(tmp_path / "idx"), "--hashes", str(plain), "--max-distance", "1"]
    result = runner.invoke(app, [*args, "--json"])
    found = lines(result.output)
    assert found[0]["matches"] == []
    # A record without an id is named by its line number in the hash file.
    assert found[1]["matches"] == [{"id": 4, "value": "0" * 64, "distance": 0}]
    human = runner.invoke(app, args)
    assert "1 of 2 query hashes matched" in human.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"hash_type,value\npdq,{A}\npdq,{A[:-1]}\n", "line 3"),
        (f"hash_type,value\npdq,{A}\nmd5,{A}\n", "line 3: not a md5 value"),
        (f"hash_type,value\nzorblax,{A}\n", "line 2: unknown hash type"),
        (f"hash_type,value\npdq,{'g' * 64}\n", "line 2"),
        ('{"hash_type": "pdq", "value": "' + A + '"}\n{"hash_type": "pdq"\n', "line 2: not valid JSON"),
        (f"value,id\n{A},1\n", "line 1: the header"),
    ],
)
def test_malformed_hash_files_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    result = runner.invoke(app, ["index", "build", "--hashes", str(path), "--out", str(tmp_path / "idx"), "--json"])
    assert result.exit_code == 1
    error = lines(result.output)[0]["error"]
    assert isinstance(error, dict)
    assert message in error["message"]
    assert not (tmp_path / "idx").exists()


def test_damaged_index_is_refused(tmp_path: Path, hash_file: Path) -> None:
    runner.invoke(app, ["index", "build", "--hashes", str(hash_file), "--out", str(tmp_path / "idx")])
    target = tmp_path / "idx" / "pdq.shidx"
    target.write_bytes(target.read_bytes()[:-64])
    result = runner.invoke(app, ["index", "query", "--index", str(tmp_path / "idx"), "--hashes", str(hash_file)])
    assert result.exit_code == 1
    assert "corrupt_data" in result.output
    missing = runner.invoke(app, ["index", "query", "--index", str(tmp_path), "--hashes", str(hash_file), "--json"])
    assert lines(missing.output)[0]["error"]["code"] == "unreadable_path"  # type: ignore[index]
