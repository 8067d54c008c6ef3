"""The submission client of NCMEC's CyberTipline Reporting API (httpx, HTTP Basic auth): ``status``, ``xsd``,
``submit``, ``upload``, ``fileinfo``, ``finish``, ``retract``. Every non-zero response code becomes the error of
:data:`sharedhash.reports.errors.BY_RESPONSE_CODE`; a broken connection is
:class:`~sharedhash.reports.errors.CyberTiplineUnreachableError`. Documents are validated against the schema the
environment serves (fetched from ``/xsd`` once per :data:`XSD_CACHE_SECONDS` and cached) before they are sent."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx
import xmlschema

from sharedhash.reports import schema as schemas
from sharedhash.reports.errors import (
    CyberTiplineAuthError,
    CyberTiplineError,
    CyberTiplineServerError,
    CyberTiplineUnreachableError,
    error_for,
)
from sharedhash.reports.xml import Answer, AnswerParseError, parse_answer

#: How long a fetched XSD is used before it is fetched again.
XSD_CACHE_SECONDS = 24 * 3600.0
#: Seconds to wait for NCMEC (connect, and each read or write).
TIMEOUT_SECONDS = 60.0

_xsd_cache: dict[str, tuple[float, xmlschema.XMLSchema10]] = {}
_xsd_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Credentials:
    """An org's account in one CyberTipline environment (the password in clear, in memory only)."""

    url: str
    username: str
    password: str


class CyberTiplineClient:
    """One environment's API, as one org's account; use as a context manager (or call :meth:`close`)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = credentials.url.rstrip("/")
        self._http = httpx.Client(
            auth=httpx.BasicAuth(credentials.username, credentials.password),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "sharedhash-reports"},
        )

    def __enter__(self) -> CyberTiplineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def _call(self, what: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            return self._http.request(method, f"{self.url}/{path}", **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise CyberTiplineUnreachableError(f"{what}: {type(exc).__name__}: {exc}") from None

    def _answer(self, what: str, response: httpx.Response) -> Answer:
        try:
            answer = parse_answer(response.content)
        except AnswerParseError as exc:
            if response.status_code == 401:
                raise CyberTiplineAuthError(f"{what}: the CyberTipline refused the credentials (HTTP 401)") from None
            if response.status_code >= 500:
                raise CyberTiplineServerError(f"{what}: HTTP {response.status_code} from the CyberTipline") from None
            raise CyberTiplineServerError(f"{what}: HTTP {response.status_code}, {exc}") from None
        if answer.response_code != 0:
            raise error_for(answer.response_code, answer.description, what)
        return answer

    def status(self) -> Answer:
        """Check the connection and the credentials (``GET /status``)."""
        return self._answer("status", self._call("status", "GET", "status"))

    def fetch_xsd(self) -> str:
        """The XSD the environment serves (``GET /xsd``)."""
        response = self._call("xsd", "GET", "xsd")
        if response.status_code == 401:
            raise CyberTiplineAuthError("xsd: the CyberTipline refused the credentials (HTTP 401)")
        if response.status_code != 200:
            raise CyberTiplineServerError(f"xsd: HTTP {response.status_code} from the CyberTipline")
        return response.text

    def schema(self) -> xmlschema.XMLSchema10:
        """The environment's schema, fetched once per :data:`XSD_CACHE_SECONDS` and cached per URL."""
        now = time.monotonic()
        with _xsd_lock:
            cached = _xsd_cache.get(self.url)
            if cached is not None and now - cached[0] < XSD_CACHE_SECONDS:
                return cached[1]
        try:
            compiled = schemas.compile_xsd(self.fetch_xsd())
        except ValueError as exc:
            raise CyberTiplineServerError(f"xsd: {exc}") from None
        with _xsd_lock:
            _xsd_cache[self.url] = (now, compiled)
        return compiled

    def submit(self, report: bytes) -> int:
        """Open a report (``POST /submit``, validated first); its CyberTipline report id."""
        schemas.validate(self.schema(), report, "report")
        answer = self._answer(
            "submit",
            self._call("submit", "POST", "submit", content=report, headers={"Content-Type": "text/xml; charset=utf-8"}),
        )
        if answer.report_id is None:
            raise CyberTiplineServerError("submit: the CyberTipline answered success without a report id")
        return answer.report_id

    def upload(self, report_id: int, file_name: str, content: bytes) -> Answer:
        """Upload one file to an open report (``POST /upload``); the answer has its file id and MD5."""
        answer = self._answer(
            "upload",
            self._call(
                "upload",
                "POST",
                "upload",
                data={"id": str(report_id)},
                files={"file": (file_name, content, "application/octet-stream")},
            ),
        )
        if not answer.file_id:
            raise CyberTiplineServerError("upload: the CyberTipline answered success without a file id")
        return answer

    def file_info(self, details: bytes) -> Answer:
        """Describe an uploaded file (``POST /fileinfo``, validated first)."""
        schemas.validate(self.schema(), details, "file details")
        return self._answer(
            "fileinfo",
            self._call(
                "fileinfo", "POST", "fileinfo", content=details, headers={"Content-Type": "text/xml; charset=utf-8"}
            ),
        )

    def finish(self, report_id: int) -> Answer:
        """Finish a report (``POST /finish``): it is then final at NCMEC."""
        return self._answer("finish", self._call("finish", "POST", "finish", data={"id": str(report_id)}))

    def retract(self, report_id: int) -> Answer:
        """Retract (cancel) an unfinished report (``POST /retract``)."""
        return self._answer("retract", self._call("retract", "POST", "retract", data={"id": str(report_id)}))


def forget_cached_xsd() -> None:
    """Drop every cached XSD (the next call fetches again)."""
    with _xsd_lock:
        _xsd_cache.clear()


__all__ = ["CyberTiplineClient", "CyberTiplineError", "Credentials", "forget_cached_xsd"]
