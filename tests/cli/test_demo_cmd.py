"""``sharedhash demo`` hashes the generated samples, PDQ with its quality included."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sharedhash.cli.app import app
from sharedhash.hashing.samples import SAMPLE_NAMES


def test_demo_json_has_pdq_and_quality() -> None:
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["path"] for o in out] == [*(f"{n}.jpg" for n in SAMPLE_NAMES), "sample-video.mp4"]
    video = out.pop()
    assert set(video["hashes"]) == {"vpdq", "md5", "sha1", "sha256"}
    assert video["vpdq_frames"] == 4
    for line in out:
        assert set(line["hashes"]) == {"pdq", "md5", "sha1", "sha256"}
        assert 0 <= line["pdq_quality"] <= 100


def test_demo_table() -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0
    assert "pdq" in result.stdout
    assert "vPDQ" in result.stdout
