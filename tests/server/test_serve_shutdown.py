"""``sharedhash serve`` leaves no process behind when it is stopped with SIGTERM (as systemd, Docker and
Kubernetes stop it) or killed outright: the body-checking child process ends with the server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.live import free_port

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc (Linux)")


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid``."""
    out: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_stopping_the_server_ends_its_child_processes(tmp_path: Path, how: signal.Signals) -> None:
    port = free_port()
    env = os.environ | {
        "SHAREDHASH_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SHAREDHASH_DATA_DIR": str(tmp_path / "data"),
    }
    exe = Path(sys.executable).parent / "sharedhash"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and len(children) < 2:  # the child and multiprocessing's tracker
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            children = _children(process.pid)
            time.sleep(0.1)
        assert children, "serve started no child process"
        process.send_signal(how)
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], log.read_text(errors="replace")[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
