"""Issue 18: slow clients are timed out (headers: the connection is closed; a pausing body: 408), and the access
log never writes a full hash value."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path

import uvicorn

from sharedhash.server.app import create_app
from sharedhash.server.security import AccessLogRedactor, slow_client_protocol
from tests.support.hub import make_settings, seed_orgs
from tests.support.live import free_port

VALUE = "f" * 64


def _serve(database_url: str, tmp_path: Path) -> tuple[uvicorn.Server, threading.Thread, int]:
    seed_orgs(database_url)
    settings = make_settings(tmp_path, database_url, body_idle_timeout_seconds=0.5, header_timeout_seconds=0.5)
    port = free_port()
    protocol = slow_client_protocol(settings.header_timeout_seconds)
    assert protocol is not None  # the server extra installs httptools
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", http=protocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        assert thread.is_alive(), "server stopped"
        time.sleep(0.05)
    return server, thread, port


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        return b"".join(chunks) + b"<still open>"
    return b"".join(chunks)


def test_slow_headers_close_the_connection_and_a_pausing_body_gets_408(database_url: str, tmp_path: Path) -> None:
    server, thread, port = _serve(database_url, tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"POST /v1/lookup HTTP/1.1\r\nHost: hub\r\n")  # and nothing more
            began = time.monotonic()
            assert _read_all(slow, 5) == b""  # closed by the hub, not by our timeout
            assert time.monotonic() - began < 4
        with socket.create_connection(("127.0.0.1", port)) as idle:  # a connection that never says anything
            assert _read_all(idle, 5) == b""
        with socket.create_connection(("127.0.0.1", port)) as paused:
            paused.sendall(
                b"POST /v1/hash-lists HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"name": '
            )
            answer = _read_all(paused, 5)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert json.loads(body.split(b"<still open>")[0])["error"]["code"] == "request_timeout"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_the_access_log_never_writes_a_full_hash_value() -> None:
    redactor = AccessLogRedactor()

    def logged(path: str, client: str = "192.0.2.7:5555") -> str:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            (client, "DELETE", path, "1.1", 204),
            None,
        )
        assert redactor.filter(record)
        return record.getMessage()

    line = logged(f"/v1/entries/7/hashes/pdq/{VALUE}")
    assert VALUE not in line
    assert f"/v1/entries/7/hashes/pdq/{VALUE[:8]}…" in line
    assert VALUE not in logged(f"/v1/entries/7/hashes/md5/{VALUE[:32]}?x=1")
    deterrence = logged("/v1/orgs/zorblax/deterrence/check?q=zorblax")
    assert "192.0.2.7" not in deterrence
    assert "q=zorblax" not in deterrence
    assert "192.0.2.7" in logged("/v1/hash-lists")  # other lines keep what the operator asked for
