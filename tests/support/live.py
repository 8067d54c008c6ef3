"""Live test hubs: real servers on loopback (uvicorn in a thread), a hub and a node with separate databases (the
``pair`` fixture), and what the sync tests compare."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from sharedhash.client import Client
from sharedhash.server.app import create_app
from sharedhash.settings import Settings
from sharedhash.store.db import open_database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import create_key, get_org_by_name
from tests.support.hub import make_settings, seed_orgs


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


def normalised(lines: list[str]) -> list[dict[str, Any]]:
    """Entries without local ids and times, sorted: what must be equal on hub and node."""
    keep = ("hashes", "classification", "labels", "external_id", "contributor")
    rows = [{k: json.loads(x)[k] for k in keep} for x in lines]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def node_client(pair: Pair, org: str = "sharee") -> Client:
    """A client of the node for the local org that owns the mirrors (its key made in the node database)."""
    db = open_database(pair.node_db_url)
    try:
        with db.writing() as s:
            token = create_key(s, get_org_by_name(s, org).id, frozenset({Scope.ADMIN})).token
    finally:
        db.dispose()
    return Client(pair.node_url, token)
