"""The report and file-details XML: every element in the order of the schema's sequences (walked from the XSD,
not restated), validated by the packaged schema; NCMEC's answers read back; the back-off."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
import xmlschema

from sharedhash.reports.errors import BY_RESPONSE_CODE, CyberTiplineError, error_for
from sharedhash.reports.model import (
    IncidentType,
    IpCapture,
    IpEvent,
    Person,
    Report,
    ReportedPerson,
    Reporter,
    ReportFile,
)
from sharedhash.reports.retry import backoff_seconds
from sharedhash.reports.schema import packaged_schema, problems
from sharedhash.reports.xml import Answer, AnswerParseError, answer_xml, file_details_xml, parse_answer, report_xml

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _full_report() -> Report:
    """A report with every field sharedhash writes filled (invented values)."""
    ip = IpCapture("2001:db8::1", IpEvent.UPLOAD, WHEN, possible_proxy=False, port=443)
    return Report(
        incident_type=IncidentType.CHILD_PORNOGRAPHY,
        incident_time=WHEN,
        reporter=Reporter(
            Person("Example", "Reporter", ("reports@example.org",), ("+1-555-0100",)),
            company_template="zorblax template",
            terms_of_service="zorblax terms",
            legal_url="https://example.org/legal",
        ),
        reported_person=ReportedPerson(
            esp_identifier="example-user-1",
            screen_name="example-user-1",
            display_names=("Example User One",),
            profile_urls=("https://example.com/u/example-user-1",),
            emails=("example-user-1@example.com",),
            ip_captures=(ip, IpCapture("192.0.2.7")),
            prior_reports=(100001, 100002),
            esp_service="zorblax photos",
        ),
        files=(
            ReportFile(
                "example-file-1.jpg",
                (("md5", "a" * 32), ("sha1", "b" * 40), ("sha256", "c" * 64), ("pdq", "d" * 64)),
                viewed_by_esp=True,
                publicly_available=False,
                original_url="https://example.com/f/1",
                classification="A1",
                ip_captures=(ip,),
            ),
        ),
        additional_info="zorblax <script>alert(1)</script> & more",
    )


def _check_order(declared: xmlschema.XsdElement, element: ET.Element, path: str) -> int:
    """Assert that ``element``'s children follow the order of ``declared``'s sequence, recursively; how many
    elements were checked."""
    content = getattr(declared.type, "content", None)
    if content is None or not hasattr(content, "iter_elements"):
        return 1
    order = [e.name for e in content.iter_elements() if getattr(e, "name", None)]
    positions = []
    for child in element:
        assert child.tag in order, f"{path}/{child.tag} is not declared in the schema's sequence {order}"
        positions.append(order.index(child.tag))
    assert positions == sorted(positions), f"{path}: children {[c.tag for c in element]} out of order {order}"
    checked = 1
    for child in element:
        (child_declared,) = (e for e in content.iter_elements() if getattr(e, "name", None) == child.tag)
        checked += _check_order(child_declared, child, f"{path}/{child.tag}")
    return checked


def test_report_elements_follow_the_schema_sequence() -> None:
    schema = packaged_schema()
    document = report_xml(_full_report())
    assert problems(schema, document) == []
    root = ET.fromstring(document)
    assert _check_order(schema.elements["report"], root, "/report") > 20


def test_file_details_elements_follow_the_schema_sequence() -> None:
    schema = packaged_schema()
    document = file_details_xml(100001, "f" * 32, _full_report().files[0])
    assert problems(schema, document) == []
    root = ET.fromstring(document)
    assert _check_order(schema.elements["fileDetails"], root, "/fileDetails") > 10
    # Only the hash types the CyberTipline names go out (no perceptual hash in originalFileHash).
    assert [e.get("hashType") for e in root.iterfind("originalFileHash")] == ["MD5", "SHA1", "SHA256"]


def test_the_schema_refuses_a_document_out_of_order() -> None:
    document = report_xml(_full_report())
    root = ET.fromstring(document)
    reporter = root.find("reporter")
    assert reporter is not None
    root.remove(reporter)
    root.append(reporter)  # after personOrUserReported and additionalInfo
    found = problems(packaged_schema(), ET.tostring(root))
    assert found
    assert "reporter" in found[0]


def test_text_is_escaped() -> None:
    document = report_xml(_full_report())
    assert b"<script>" not in document
    assert ET.fromstring(document).findtext("additionalInfo") == "zorblax <script>alert(1)</script> & more"


def test_naive_times_are_refused() -> None:
    report = _full_report()
    naive = Report(
        incident_type=report.incident_type,
        incident_time=datetime(2026, 12, 1, 10, 0),  # naive on purpose
        reporter=report.reporter,
        reported_person=report.reported_person,
    )
    with pytest.raises(ValueError, match="naive"):
        report_xml(naive)


def test_answers_round_trip_and_bad_answers_are_refused() -> None:
    answer = Answer(0, "Success", report_id=100001, file_id="f" * 32, md5="e" * 32)
    assert parse_answer(answer_xml(answer)) == answer
    done = Answer(0, "", report_id=100001, file_ids=("a", "b"))
    assert parse_answer(answer_xml(done, done=True)) == done
    for bad in (b"", b"not xml", b"<other><responseCode>0</responseCode></other>", b"<reportResponse/>"):
        with pytest.raises(AnswerParseError):
            parse_answer(bad)


def test_every_documented_code_maps_to_a_specific_error() -> None:
    for code, cls in BY_RESPONSE_CODE.items():
        error = error_for(code, "described", "submit")
        assert type(error) is cls
        assert error.details["response_code"] == code
        assert str(code) in error.message
    unknown = error_for(9999, "", "finish")
    assert isinstance(unknown, CyberTiplineError)
    assert unknown.transient


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    for attempt in range(1, 30):
        delay = min(3600.0, 30.0 * 2 ** (attempt - 1))
        got = backoff_seconds(attempt, 30.0, 3600.0, rng)
        assert delay / 2 <= got <= delay
    assert backoff_seconds(10_000, 30.0, 3600.0, rng) <= 3600.0
    spread = {round(backoff_seconds(3, 30.0, 3600.0, rng), 3) for _ in range(50)}
    assert len(spread) > 40  # jittered, not one fixed delay
    with pytest.raises(ValueError, match="from 1"):
        backoff_seconds(0, 30.0, 3600.0)
