"""The report and file-details XML documents of the CyberTipline Reporting API, written in the schema's element
order (``cybertipline.xsd``; a test walks the schema's sequences and checks every document against them), and
NCMEC's XML answers read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from sharedhash.reports.model import HASH_TYPE_NAMES, IpCapture, Person, Report, ReportFile

SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def xml_time(when: datetime) -> str:
    """An XML ``dateTime`` in UTC (``2026-12-06T11:30:00Z``)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime in a report")
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def _opt(parent: ET.Element, tag: str, text: str) -> None:
    if text:
        _add(parent, tag, text)


def _root(tag: str) -> ET.Element:
    root = ET.Element(tag)
    root.set("xmlns:xsi", _XSI)
    root.set("xsi:noNamespaceSchemaLocation", SCHEMA_LOCATION)
    return root


def _person(parent: ET.Element, tag: str, person: Person) -> None:
    el = _add(parent, tag)
    _opt(el, "firstName", person.first_name)
    _opt(el, "lastName", person.last_name)
    for phone in person.phones:
        _add(el, "phone", phone)
    for email in person.emails:
        _add(el, "email", email)


def _ip_capture(parent: ET.Element, ip: IpCapture) -> None:
    el = _add(parent, "ipCaptureEvent")
    _add(el, "ipAddress", ip.ip_address)
    _add(el, "eventName", ip.event.value)
    if ip.at is not None:
        _add(el, "dateTime", xml_time(ip.at))
    if ip.possible_proxy is not None:
        _add(el, "possibleProxy", _bool(ip.possible_proxy))
    if ip.port is not None:
        _add(el, "port", str(ip.port))


def _document(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def report_xml(report: Report) -> bytes:
    """The ``<report>`` document (submitted to ``/submit``), elements in the schema's order."""
    root = _root("report")
    summary = _add(root, "incidentSummary")
    _add(summary, "incidentType", report.incident_type.value)
    _add(summary, "incidentDateTime", xml_time(report.incident_time))

    reporter = _add(root, "reporter")
    _person(reporter, "reportingPerson", report.reporter.person)
    _opt(reporter, "companyTemplate", report.reporter.company_template)
    _opt(reporter, "termsOfService", report.reporter.terms_of_service)
    _opt(reporter, "legalURL", report.reporter.legal_url)

    who = report.reported_person
    reported = _add(root, "personOrUserReported")
    if who.emails:
        _person(reported, "personOrUserReportedPerson", Person(emails=who.emails))
    _add(reported, "espIdentifier", who.esp_identifier)
    _opt(reported, "espService", who.esp_service)
    _opt(reported, "screenName", who.screen_name)
    for name in who.display_names:
        _add(reported, "displayName", name)
    for url in who.profile_urls:
        _add(reported, "profileUrl", url)
    for ip in who.ip_captures:
        _ip_capture(reported, ip)
    for prior in who.prior_reports:
        _add(reported, "priorCTReports", str(prior))

    _opt(root, "additionalInfo", report.additional_info)
    return _document(root)


def file_details_xml(report_id: int, file_id: str, file: ReportFile) -> bytes:
    """The ``<fileDetails>`` document of one uploaded file (sent to ``/fileinfo``), elements in the schema's order.
    Hash types the CyberTipline does not name are left out."""
    root = _root("fileDetails")
    _add(root, "reportId", str(report_id))
    _add(root, "fileId", file_id)
    _opt(root, "originalFileName", file.file_name)
    _opt(root, "locationOfFile", file.original_url)
    _add(root, "fileViewedByEsp", _bool(file.viewed_by_esp))
    if file.publicly_available is not None:
        _add(root, "publiclyAvailable", _bool(file.publicly_available))
    _add(root, "fileRelevance", "Reported")
    _opt(root, "industryClassification", file.classification)
    for hash_type, value in file.hashes:
        name = HASH_TYPE_NAMES.get(hash_type)
        if name is not None:
            _add(root, "originalFileHash", value, hashType=name)
    for ip in file.ip_captures:
        _ip_capture(root, ip)
    return _document(root)


@dataclass(frozen=True, slots=True)
class Answer:
    """One of NCMEC's XML answers (``reportResponse`` or ``reportDoneResponse``)."""

    response_code: int
    description: str = ""
    report_id: int | None = None
    file_id: str | None = None
    md5: str | None = None
    file_ids: tuple[str, ...] = ()


class AnswerParseError(ValueError):
    """An answer that is not one of NCMEC's documented XML answers."""


def parse_answer(body: bytes) -> Answer:
    """Read an answer of the Reporting API; :class:`AnswerParseError` if it is not one."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise AnswerParseError(f"the answer is not XML ({exc})") from None
    if root.tag not in ("reportResponse", "reportDoneResponse"):
        raise AnswerParseError(f"unexpected answer element <{root.tag}>")
    code = root.findtext("responseCode")
    if code is None or not code.strip().lstrip("-").isdigit():
        raise AnswerParseError("the answer has no numeric responseCode")
    report_id = root.findtext("reportId")
    return Answer(
        response_code=int(code),
        description=(root.findtext("responseDescription") or "").strip(),
        report_id=int(report_id) if report_id and report_id.strip().isdigit() else None,
        file_id=(root.findtext("fileId") or "").strip() or None,
        md5=(root.findtext("hash") or "").strip() or None,
        file_ids=tuple((el.text or "").strip() for el in root.iterfind("files/fileId")),
    )


def answer_xml(answer: Answer, done: bool = False) -> bytes:
    """An answer as NCMEC writes it (the stand-in server uses this)."""
    root = ET.Element("reportDoneResponse" if done else "reportResponse")
    _add(root, "responseCode", str(answer.response_code))
    if not done:
        _add(root, "responseDescription", answer.description)
    if answer.report_id is not None:
        _add(root, "reportId", str(answer.report_id))
    if answer.file_id is not None:
        _add(root, "fileId", answer.file_id)
    if answer.md5 is not None:
        _add(root, "hash", answer.md5)
    if done:
        files = _add(root, "files")
        for file_id in answer.file_ids:
            _add(files, "fileId", file_id)
    return _document(root)
