"""A local stand-in for NCMEC's CyberTipline Reporting API, built from its public documentation (NCMEC cannot be
reached from here): the documented endpoints (``status``, ``xsd``, ``submit``, ``upload``, ``fileinfo``,
``finish``, ``retract``) under ``/ispws``, HTTP Basic auth, the documented response codes, schema validation of
submitted documents (the packaged ``cybertipline.xsd``), the automatic cancellation of reports left unfinished
(after ``expiry_seconds``), and fault injection for tests: HTTP 503 for the next N requests, and the connection
dropped in the middle of the next N uploads.

Run it in a thread with :class:`StandIn` (``with StandIn(users={"u": "p"}) as standin: standin.url``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import xmlschema
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sharedhash.reports.schema import packaged_schema, packaged_xsd, problems
from sharedhash.reports.xml import Answer, answer_xml

#: HTTP status the stand-in answers each response code with.
_HTTP_STATUS = {
    0: 200,
    2000: 401,
    3000: 403,
    4000: 400,
    4100: 400,
    4110: 400,
    4200: 400,
    5001: 404,
    5002: 404,
    5101: 409,
    5102: 409,
}
_DESCRIPTIONS = {
    0: "Success",
    2000: "Authentication required",
    4000: "Invalid request",
    4100: "Validation failed",
    4110: "Malformed XML submittal",
    4200: "Malformed file submittal",
    5001: "Report does not exist",
    5002: "File does not exist",
    5101: "Report already retracted",
    5102: "Report already finished",
}


class State(StrEnum):
    """A report's state on the stand-in."""

    OPEN = "open"
    FINISHED = "finished"
    RETRACTED = "retracted"
    EXPIRED = "expired"  # cancelled automatically: left unfinished too long


@dataclass
class StandInFile:
    """An uploaded file: its name, size, MD5 and the file-details document, once sent."""

    name: str
    size: int
    md5: str
    details: bytes | None = None


@dataclass
class StandInReport:
    """A report the stand-in holds."""

    id: int
    user: str
    document: bytes
    opened_at: float
    state: State = State.OPEN
    files: dict[str, StandInFile] = field(default_factory=dict)


@dataclass
class Faults:
    """Faults to inject: ``server_errors`` next requests answer HTTP 503; ``drop_uploads`` next uploads lose their
    connection half-way (the file is not stored)."""

    server_errors: int = 0
    drop_uploads: int = 0


class StandInApp:
    """The ASGI app and its in-memory state (thread-safe)."""

    def __init__(self, users: dict[str, str], expiry_seconds: float = 24 * 3600.0) -> None:
        self.users = dict(users)
        self.expiry_seconds = expiry_seconds
        self.faults = Faults()
        #: The schema submitted documents are checked against (default: the packaged one, which ``/xsd`` serves);
        #: a test may set a stricter one to play NCMEC changing its schema after a client fetched it.
        self.schema: xmlschema.XMLSchema10 = packaged_schema()
        self.reports: dict[int, StandInReport] = {}
        self.calls: list[tuple[str, int]] = []  # (endpoint, response code) of every answered request
        self._ids = itertools.count(100001)
        self._lock = threading.Lock()
        routes = [
            Route("/ispws/status", self._status, methods=["GET"]),
            Route("/ispws/xsd", self._xsd, methods=["GET"]),
            Route("/ispws/submit", self._submit, methods=["POST"]),
            Route("/ispws/upload", self._upload, methods=["POST"]),
            Route("/ispws/fileinfo", self._fileinfo, methods=["POST"]),
            Route("/ispws/finish", self._finish, methods=["POST"]),
            Route("/ispws/retract", self._retract, methods=["POST"]),
        ]
        self._app = Starlette(routes=routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            with self._lock:
                fail = self.faults.server_errors > 0
                if fail:
                    self.faults.server_errors -= 1
                drop = not fail and scope["path"].endswith("/upload") and self.faults.drop_uploads > 0
                if drop:
                    self.faults.drop_uploads -= 1
            if fail:
                await Response("Service Unavailable", status_code=503)(scope, receive, send)
                return
            if drop:
                await _drop_connection(receive, send)
                return
        await self._app(scope, receive, send)

    # --- helpers -------------------------------------------------------------------------------------------------

    def _answer(self, endpoint: str, code: int, done: bool = False, **fields: Any) -> Response:
        self.calls.append((endpoint, code))
        body = answer_xml(Answer(response_code=code, description=_DESCRIPTIONS.get(code, ""), **fields), done=done)
        return Response(body, status_code=_HTTP_STATUS.get(code, 500), media_type="text/xml")

    def _user(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self.users.get(user)
        if known is None or not secrets.compare_digest(known.encode(), password.encode()):
            return None
        return user

    def _expire(self, report: StandInReport) -> None:
        if report.state is State.OPEN and time.monotonic() - report.opened_at > self.expiry_seconds:
            report.state = State.EXPIRED

    def _open_report(self, endpoint: str, user: str, raw_id: str | None) -> StandInReport | Response:
        """The caller's open report ``raw_id``, or the answer that says why not."""
        if raw_id is None or not raw_id.strip().isdigit():
            return self._answer(endpoint, 4000)
        report = self.reports.get(int(raw_id))
        if report is None or report.user != user:
            return self._answer(endpoint, 5001)
        self._expire(report)
        if report.state is State.EXPIRED:
            return self._answer(endpoint, 5001, report_id=report.id)
        if report.state is State.FINISHED:
            return self._answer(endpoint, 5102, report_id=report.id)
        if report.state is State.RETRACTED:
            return self._answer(endpoint, 5101, report_id=report.id)
        return report

    def _document(self, endpoint: str, body: bytes, root: str) -> Response | None:
        try:
            parsed = ET.fromstring(body)
        except ET.ParseError:
            return self._answer(endpoint, 4110)
        if parsed.tag != root or problems(self.schema, body):
            return self._answer(endpoint, 4100)
        return None

    # --- endpoints -----------------------------------------------------------------------------------------------

    async def _status(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("status", 2000)
        self.calls.append(("status", 0))
        host = request.client.host if request.client else "unknown"
        body = answer_xml(Answer(0, f"Remote User : {user}, Remote Ip : {host}"))
        return Response(body, media_type="text/xml")

    async def _xsd(self, request: Request) -> Response:
        if self._user(request) is None:
            return self._answer("xsd", 2000)
        self.calls.append(("xsd", 0))
        return Response(packaged_xsd(), media_type="text/xml")

    async def _submit(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("submit", 2000)
        body = await request.body()
        refused = self._document("submit", body, "report")
        if refused is not None:
            return refused
        with self._lock:
            report = StandInReport(id=next(self._ids), user=user, document=body, opened_at=time.monotonic())
            self.reports[report.id] = report
        return self._answer("submit", 0, report_id=report.id)

    async def _upload(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("upload", 2000)
        try:
            form = await request.form()
        except Exception:  # a body that is not multipart
            return self._answer("upload", 4200)
        try:
            return await self._store_upload(user, form)
        finally:
            await form.close()

    async def _store_upload(self, user: str, form: FormData) -> Response:
        found = self._open_report("upload", user, _text(form.get("id")))
        if isinstance(found, Response):
            return found
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return self._answer("upload", 4200, report_id=found.id)
        content = await upload.read()
        if not content:
            return self._answer("upload", 4200, report_id=found.id)
        md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
        file_id = secrets.token_hex(16)
        found.files[file_id] = StandInFile(name=upload.filename or "", size=len(content), md5=md5)
        return self._answer("upload", 0, report_id=found.id, file_id=file_id, md5=md5)

    async def _fileinfo(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("fileinfo", 2000)
        body = await request.body()
        refused = self._document("fileinfo", body, "fileDetails")
        if refused is not None:
            return refused
        parsed = ET.fromstring(body)
        found = self._open_report("fileinfo", user, parsed.findtext("reportId"))
        if isinstance(found, Response):
            return found
        file = found.files.get(parsed.findtext("fileId") or "")
        if file is None:
            return self._answer("fileinfo", 5002, report_id=found.id)
        file.details = body
        return self._answer("fileinfo", 0, report_id=found.id)

    async def _finish(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("finish", 2000, done=True)
        async with request.form() as form:
            raw_id = _text(form.get("id"))
        found = self._open_report("finish", user, raw_id)
        if isinstance(found, Response):
            return found
        found.state = State.FINISHED
        return self._answer("finish", 0, done=True, report_id=found.id, file_ids=tuple(found.files))

    async def _retract(self, request: Request) -> Response:
        user = self._user(request)
        if user is None:
            return self._answer("retract", 2000)
        async with request.form() as form:
            raw_id = _text(form.get("id"))
        found = self._open_report("retract", user, raw_id)
        if isinstance(found, Response):
            return found
        found.state = State.RETRACTED
        return self._answer("retract", 0, report_id=found.id)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Read the first part of the request, promise a body and break off: the client sees the connection end."""
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"<reportResponse>", "more_body": True})
    raise ConnectionAbortedError("stand-in fault: connection dropped mid-upload")


class StandIn:
    """The stand-in served by uvicorn on a free loopback port in a daemon thread."""

    def __init__(self, users: dict[str, str], expiry_seconds: float = 24 * 3600.0) -> None:
        self.app = StandInApp(users, expiry_seconds)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/ispws"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> StandIn:
        """Serve until :meth:`stop`; returns once the server accepts connections."""
        import uvicorn

        config = uvicorn.Config(self.app, log_level="critical", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True, name="cybertipline-standin"
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the CyberTipline stand-in did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m sharedhash.reports.standin``: serve the stand-in in the foreground until interrupted."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="A local stand-in of NCMEC's CyberTipline Reporting API.")
    parser.add_argument("--user", required=True, help="The one account's user name.")
    parser.add_argument("--password-file", required=True, type=Path, help="A file whose first line is its password.")
    parser.add_argument("--expiry-seconds", type=float, default=24 * 3600.0, help="Cancel unfinished reports after.")
    parser.add_argument("--url-file", type=Path, help="Write the base URL here once serving (a free port is used).")
    args = parser.parse_args(argv)
    password = args.password_file.read_text(encoding="utf-8").splitlines()[0].strip()
    server = StandIn(users={args.user: password}, expiry_seconds=args.expiry_seconds).start()
    print(server.url, flush=True)
    if args.url_file is not None:
        args.url_file.write_text(server.url + "\n", encoding="utf-8")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
