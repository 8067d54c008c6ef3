"""Every shell and Python example in docs/*.md runs against a real hub, so the docs cannot rot.

Per document, in order: a fresh hub (``sharedhash serve`` on a free port, SQLite in a temporary folder) whose
operator org ``my-org`` is created with ``sharedhash org create`` (its key replaces ``shk_...``), plus the orgs the
examples share with (``partner-org``, ``plimmerbolt``); a working folder holding ``photos/`` (generated benign
images), ``a.jpg`` and ``b.png``. The examples' ``http://127.0.0.1:8000`` becomes the test hub's URL. Blocks
fenced as ``sh`` run in bash (``set -eo pipefail``), ``console`` blocks run their ``$ `` lines, ``python`` blocks
run in the project's interpreter; all blocks of one document share the folder, so a later block may use a file an
earlier one wrote. A block that cannot run here is preceded by ``<!-- no-run: reason -->``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted((REPO / "docs").glob("*.md"))
RUNNABLE = {"sh", "console", "python"}
DOC_URL = "http://127.0.0.1:8000"
PLACEHOLDER_KEY = "shk_..."
BIN = Path(sys.executable).parent
BLOCK_TIMEOUT = 300

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_NO_RUN = re.compile(r"<!--\s*no-run:\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    lang: str
    text: str
    no_run: str | None  # the reason, when marked

    @property
    def name(self) -> str:
        return f"{self.doc.name}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of ``doc`` in the languages that run, with their ``no-run`` marks."""
    source = doc.read_text()
    found = []
    for m in _FENCE.finditer(source):
        before = source[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _NO_RUN.search(before)
        if m.group(1) in RUNNABLE:
            line = source.count("\n", 0, m.start()) + 1
            found.append(Block(doc, line, m.group(1), m.group(2), mark.group(1) if mark else None))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Hub:
    url: str
    key: str = field(repr=False)
    env: dict[str, str] = field(repr=False)
    folder: Path = Path()


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SHAREDHASH_")}
    env.update(
        SHAREDHASH_DATA_DIR=str(data_dir),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        NO_COLOR="1",
        COLUMNS="120",
    )
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "sharedhash"), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"sharedhash {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """A real hub on a free port with a fresh SQLite database, its operator org's key, and a working folder."""
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    env = _env(data)
    key = json.loads(_cli(env, "org", "create", "my-org", "--json"))["api_key"]
    for org in ("partner-org", "plimmerbolt"):
        _cli(env, "org", "create", org, "--json")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "sharedhash"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the hub did not become ready in 60 s"
            time.sleep(0.2)
        env.update(SHAREDHASH_HUB_URL=url, SHAREDHASH_API_KEY=key)
        _workspace(work)
        yield Hub(url, key, env, work)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _workspace(folder: Path) -> None:
    """Benign inputs the examples name: a folder of photos, ``a.jpg`` and ``b.png``."""
    from sharedhash.hashing.samples import make_sample, write_samples

    photos = list(write_samples(folder / "photos", 160, 120))
    shutil.copy(photos[0], folder / "a.jpg")
    make_sample("rings", 160, 120).save(folder / "b.png")


def _script(block: Block, hub: Hub) -> str:
    text = block.text.replace(DOC_URL, hub.url).replace(PLACEHOLDER_KEY, hub.key)
    if block.lang == "console":
        text = "\n".join(line[2:] for line in text.splitlines() if line.startswith("$ "))
    return text


_LONG_HEX = re.compile(r"\b([0-9a-fA-F]{8})[0-9a-fA-F]{24,}\b")


def redact(text: str) -> str:
    """``text`` with every hash-like hex run cut to its first 8 characters (hashes are never logged whole)."""
    return _LONG_HEX.sub(r"\1…", text)


def run_block(block: Block, hub: Hub) -> subprocess.CompletedProcess[str]:
    script = _script(block, hub)
    if block.lang == "python":
        argv = [sys.executable, "-c", script]
    else:
        argv = ["bash", "-c", "set -eo pipefail\n" + script]
    return subprocess.run(
        argv, cwd=hub.folder, env=hub.env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT, check=False
    )


def test_docs_have_runnable_examples() -> None:
    found = [b for doc in DOCS for b in blocks(doc)]
    assert len([b for b in found if b.no_run is None]) >= 15
    for b in found:
        if b.no_run is not None:
            assert len(b.no_run) >= 10, f"{b.name}: say why the block cannot run"


@pytest.mark.parametrize("doc", [d for d in DOCS if any(b.no_run is None for b in blocks(d))], ids=lambda d: d.name)
def test_examples_run(doc: Path, hub: Hub) -> None:
    for block in blocks(doc):
        if block.no_run is not None:
            continue
        done = run_block(block, hub)
        assert done.returncode == 0, (
            f"{block.name} ({block.lang}) exited {done.returncode}\n"
            f"--- stdout\n{redact(done.stdout)}\n--- stderr\n{redact(done.stderr)}"
        )
