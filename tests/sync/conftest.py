"""Sync fixtures: real servers on loopback (uvicorn in a thread), a hub and a node with separate databases."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from sharedhash.client import Client
from sharedhash.server.app import create_app
from sharedhash.settings import Settings
from tests.hub_fixtures import POSTGRES_URL, database_url, db, pg_template
from tests.server.conftest import make_settings, seed_orgs

__all__ = ["database_url", "db", "pg_template"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A hub served over HTTP on loopback from a thread."""

    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Shut the server down and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(settings: Settings) -> LiveServer:
    """Serve a hub with these settings and wait until it is ready."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    probe = Client(url)
    try:
        while not probe.ready():
            if time.monotonic() > deadline or not thread.is_alive():
                raise AssertionError("server did not start")
            time.sleep(0.05)
    finally:
        probe.close()
    return LiveServer(url=url, settings=settings, server=server, thread=thread)


@dataclass
class Pair:
    """A hub (with orgs owner, sharee, stranger) and a node, both live."""

    hub: LiveServer
    node: LiveServer
    hub_keys: dict[str, str]
    node_url: str
    node_db_url: str


@pytest.fixture
def pair(database_url: str, tmp_path: Path) -> Iterator[Pair]:
    """A live hub on the test database and a live node on a SQLite database (the usual node setup)."""
    hub_keys = seed_orgs(database_url)
    hub = start_server(make_settings(tmp_path / "hub", database_url))
    node_db_url = f"sqlite:///{tmp_path / 'node.db'}"
    node = start_server(make_settings(tmp_path / "node", node_db_url))
    try:
        yield Pair(hub=hub, node=node, hub_keys=hub_keys, node_url=node.url, node_db_url=node_db_url)
    finally:
        node.stop()
        hub.stop()


__all__ += ["POSTGRES_URL"]
