"""The runnable example of docs/video.md "On the hub" runs as written (blocks marked ``no-run`` are skipped)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "video.md"


def _runnable_blocks() -> list[str]:
    text = DOC.read_text()
    section = text[text.index("## On the hub") : text.index("## Bad input")]
    blocks = re.findall(r"(<!-- no-run[^>]*-->\n)?```python\n(.*?)```", section, re.S)
    return [code for marker, code in blocks if not marker]


def test_the_hub_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [code] = _runnable_blocks()
    script = tmp_path / "example.py"
    script.write_text(code)
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("True 100.0")
    assert out[1].startswith("vpdq 0 ")
    assert out[2] == "['md5', 'sha1', 'sha256', 'vpdq'] ['vpdq']"
