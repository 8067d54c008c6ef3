"""Live test hubs: real servers on loopback (uvicorn in a thread), a hub and a node with separate databases (the
``pair`` fixture), and what the sync tests compare."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
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


def start_server(settings: Settings, port: int | None = None) -> LiveServer:
    """Serve a hub with these settings (on ``port``, default a free one) and wait until it is ready."""
    port = port or free_port()
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
    live = Pair(hub=hub, node=node, hub_keys=hub_keys, node_url=node.url, node_db_url=node_db_url)
    try:
        yield live
    finally:
        live.node.stop()
        live.hub.stop()  # a test may have restarted the hub


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


@dataclass
class NodeProcess:
    """A node served by ``sharedhash serve`` in a process of its own, with a subscription to a hub that its
    server runs on schedule; ``api_key`` is an admin key of its local org."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    api_key: str
    subscription: int
    log: Path

    def client(self) -> Client:
        """A client of the node as its local org."""
        return Client(self.url, self.api_key)

    def subscription_status(self) -> dict[str, Any]:
        """``GET /v1/subscriptions/{id}`` of the node."""
        answer = httpx.get(
            f"{self.url}/v1/subscriptions/{self.subscription}",
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def stop(self) -> None:
        """End the node's process (SIGTERM, then SIGKILL if it lingers)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_node_process(tmp_path: Path, hub_url: str, org: str, remote_key: str, interval: int) -> NodeProcess:
    """A node database with the local org ``org`` (an admin key) and a subscription to ``hub_url`` every
    ``interval`` seconds, served by ``sharedhash serve`` in a new process (polling subscriptions every second)."""
    from sharedhash.store.mirror import add_subscription
    from sharedhash.store.orgs import caller_for_org, create_org
    from sharedhash.store.secretbox import SecretBox

    data_dir = tmp_path / "node-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'node-process.db'}"
    settings = Settings(data_dir=data_dir, database_url=db_url)
    db = open_database(db_url)
    try:
        with db.writing() as s:
            local = create_org(s, org, is_operator=True)
            token = create_key(s, local.id, frozenset({Scope.ADMIN})).token
            sub = add_subscription(
                s, caller_for_org(local), hub_url, remote_key, interval, box=SecretBox.from_settings(settings)
            )
            sub_id = sub.id
    finally:
        db.dispose()
    port = free_port()
    env = os.environ | {
        "SHAREDHASH_DATABASE_URL": db_url,
        "SHAREDHASH_DATA_DIR": str(data_dir),
        "SHAREDHASH_SUBSCRIPTION_POLL_SECONDS": "1",
        "SHAREDHASH_INDEX_FOLLOW_SECONDS": "0.2",
    }
    exe = Path(sys.executable).parent / "sharedhash"
    log = tmp_path / "node-process.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    node = NodeProcess(url=url, db_url=db_url, process=process, api_key=token, subscription=sub_id, log=log)
    _wait_ready(url, process, node.stop, "node", log)
    return node


def _wait_ready(url: str, process: subprocess.Popen[bytes], stop: Callable[[], None], what: str, log: Path) -> None:
    """Wait up to 60 s for a started server process to answer ready; stop it and fail with its log otherwise."""
    deadline = time.monotonic() + 60
    probe = Client(url)
    try:
        while not probe.ready():
            if time.monotonic() > deadline or process.poll() is not None:
                stop()
                raise AssertionError(f"the {what} process did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
    finally:
        probe.close()


#: The subscription interval of the node process in the revocation tests (the shortest allowed).
NODE_INTERVAL = 5


@dataclass
class HubAndNode:
    """A live hub (orgs owner, sharee, stranger) served from the test process, and a node in a process of its own
    whose org ``sharee`` subscribes to the hub every :data:`NODE_INTERVAL` seconds with the sharee's key."""

    hub: LiveServer
    hub_keys: dict[str, str]
    node: NodeProcess
    hub_db_url: str


@pytest.fixture
def hub_and_node(database_url: str, tmp_path: Path) -> Iterator[HubAndNode]:
    """A hub and a node as two real processes (see :class:`HubAndNode`)."""
    hub_keys = seed_orgs(database_url)
    hub = start_server(make_settings(tmp_path / "hub", database_url))
    try:
        node = start_node_process(tmp_path, hub.url, "sharee", hub_keys["sharee"], NODE_INTERVAL)
    except BaseException:
        hub.stop()
        raise
    try:
        yield HubAndNode(hub=hub, hub_keys=hub_keys, node=node, hub_db_url=database_url)
    finally:
        node.stop()
        hub.stop()


@dataclass
class HubProcess:
    """A hub served by ``sharedhash serve`` in a process of its own (SQLite), with the orgs owner, sharee and
    stranger and their keys."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    keys: dict[str, str]
    log: Path

    def stop(self) -> None:
        """End the hub's process (SIGTERM, then SIGKILL if it lingers)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_hub_process(tmp_path: Path) -> HubProcess:
    """A hub database with the three test orgs, served by ``sharedhash serve`` in a new process."""
    data_dir = tmp_path / "hub-process-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'hub-process.db'}"
    keys = seed_orgs(db_url)
    port = free_port()
    env = os.environ | {"SHAREDHASH_DATABASE_URL": db_url, "SHAREDHASH_DATA_DIR": str(data_dir)}
    exe = Path(sys.executable).parent / "sharedhash"
    log = tmp_path / "hub-process.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            [str(exe), "serve", "--port", str(port), "--log-level", "warning"], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    hub = HubProcess(url=url, db_url=db_url, process=process, keys=keys, log=log)
    _wait_ready(url, process, hub.stop, "hub", log)
    return hub
