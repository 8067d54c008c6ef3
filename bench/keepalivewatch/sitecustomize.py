"""Who closes a connection, and was a request waiting on it (diagnosis, not a benchmark; issue 18).

    PYTHONPATH=bench/keepalivewatch SHAREDHASH_KEEPALIVEWATCH_LOG=/tmp/ka.log python bench/abuse.py --only connections

Python imports this file at start-up (``sitecustomize``) in every process that has the folder on its path; it does
something only with ``SHAREDHASH_KEEPALIVEWATCH_LOG`` set. In the server it wraps uvicorn's httptools protocol and
appends one line per connection closed by the keep-alive timeout: the client's port, the answers given on the
connection, the idle time since the last of them, and the bytes of a request already in the socket but not read
(``FIONREAD``; 0 means no request had reached the server). In the client (httpcore) it appends one line per
connection the pool closes, with its state (``ACTIVE``: a request was on it) and whether the socket was readable
(the server's FIN had come). Match the two by port: docs/benchmarks.md, issue 18, "On a quiet machine".
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios
import time
from typing import Any

LOG = os.environ.get("SHAREDHASH_KEEPALIVEWATCH_LOG")


def _write(line: str) -> None:
    assert LOG is not None
    with open(LOG, "a") as out:
        out.write(f"{time.time():.3f} {line}\n")


def _unread(transport: Any) -> int | str:
    try:
        raw = fcntl.ioctl(transport.get_extra_info("socket").fileno(), termios.FIONREAD, b"\0\0\0\0")
        return int(struct.unpack("i", raw)[0])
    except Exception as exc:
        return repr(exc)


def _watch_server() -> None:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return
    complete, handler = HttpToolsProtocol.on_response_complete, HttpToolsProtocol.timeout_keep_alive_handler

    def on_response_complete(self: Any) -> None:
        self._kaw_done = time.monotonic()
        self._kaw_answers = getattr(self, "_kaw_answers", 0) + 1
        complete(self)

    def timeout_keep_alive_handler(self: Any) -> None:
        idle = time.monotonic() - self._kaw_done
        _write(
            f"server keep-alive close port={self.client[1] if self.client else '?'} answered={self._kaw_answers} "
            f"idle={idle:.3f}s unread={_unread(self.transport)}"
        )
        handler(self)

    HttpToolsProtocol.on_response_complete = on_response_complete  # type: ignore[method-assign]
    HttpToolsProtocol.timeout_keep_alive_handler = timeout_keep_alive_handler  # type: ignore[method-assign]


def _watch_client() -> None:
    try:
        from httpcore._async.http11 import AsyncHTTP11Connection
    except ImportError:
        return
    close = AsyncHTTP11Connection.aclose

    async def aclose(self: Any) -> None:
        try:
            port: object = self._network_stream.get_extra_info("client_addr")[1]
            readable: object = self._network_stream.get_extra_info("is_readable")
        except Exception as exc:  # already closed
            port, readable = repr(exc), None
        _write(f"client pool close port={port} state={self._state.name} readable={readable}")
        await close(self)

    AsyncHTTP11Connection.aclose = aclose  # type: ignore[method-assign]


if LOG:
    _watch_server()
    _watch_client()
