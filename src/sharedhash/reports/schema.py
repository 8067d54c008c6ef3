"""Validating report and file-details documents against a CyberTipline XSD before anything is sent: the schema the
configured environment serves (fetched by the client and cached), or the one in this package (``cybertipline.xsd``,
written from NCMEC's public documentation) for offline validation, the tests and the stand-in server."""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources

import xmlschema

from sharedhash.reports.errors import ReportXmlInvalidError

#: Most problems listed in one validation error.
MAX_PROBLEMS = 20


def packaged_xsd() -> str:
    """The text of the packaged schema."""
    return resources.files("sharedhash.reports").joinpath("cybertipline.xsd").read_text(encoding="utf-8")


def compile_xsd(text: str) -> xmlschema.XMLSchema10:
    """A schema compiled from XSD text (one that does not compile is a :class:`ValueError`)."""
    try:
        return xmlschema.XMLSchema10(text)
    except (xmlschema.XMLSchemaException, SyntaxError) as exc:
        raise ValueError(f"the CyberTipline XSD does not compile: {exc}") from None


_lock = threading.Lock()


@cache
def packaged_schema() -> xmlschema.XMLSchema10:
    """The packaged schema, compiled once."""
    with _lock:
        return compile_xsd(packaged_xsd())


def problems(schema: xmlschema.XMLSchema10, document: bytes) -> list[str]:
    """What is wrong with ``document`` under ``schema`` (empty if it is valid), at most :data:`MAX_PROBLEMS`."""
    found: list[str] = []
    try:
        for error in schema.iter_errors(document.decode("utf-8")):
            path = error.path or "/"
            found.append(f"{path}: {error.reason or error.message}")
            if len(found) >= MAX_PROBLEMS:
                break
    except (xmlschema.XMLSchemaException, SyntaxError, UnicodeDecodeError) as exc:
        return [f"not well-formed XML: {exc}"]
    return found


def validate(schema: xmlschema.XMLSchema10, document: bytes, what: str) -> None:
    """Raise :class:`ReportXmlInvalidError` (with the list of problems) unless ``document`` is valid."""
    found = problems(schema, document)
    if found:
        raise ReportXmlInvalidError(f"the {what} does not match the CyberTipline schema", problems=found)
