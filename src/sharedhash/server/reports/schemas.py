"""Request and response bodies of the report endpoints."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from sharedhash import limits
from sharedhash.reports.model import Environment, IncidentType, IpEvent
from sharedhash.server.schemas import AwareTime, HashIn, Lax, Strict


def _xml_text(value: str) -> str:
    """Text an XML 1.0 document can hold: no control characters but tab, newline and carriage return."""
    for ch in value:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or code in (0xFFFE, 0xFFFF):
            raise PydanticCustomError(
                "invalid_text", "control character U+{code:04X} cannot go into a report", {"code": code}
            )
    return value


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise PydanticCustomError("invalid_ip", "not an IPv4 or IPv6 address") from None


def _url(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise PydanticCustomError("invalid_url", "a URL starts with http:// or https://")
    return value


ShortText = Annotated[str, Field(max_length=limits.MAX_REPORT_SHORT_CHARS), AfterValidator(_xml_text)]
Name = Annotated[str, Field(min_length=1, max_length=limits.MAX_REPORT_SHORT_CHARS), AfterValidator(_xml_text)]
InfoText = Annotated[str, Field(max_length=limits.MAX_REPORT_INFO_CHARS), AfterValidator(_xml_text)]
Url = Annotated[str, Field(max_length=2000), AfterValidator(_xml_text), AfterValidator(_url)]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(_xml_text)]
IpText = Annotated[str, Field(min_length=2, max_length=64), AfterValidator(_ip)]
Repeats: Any = Field(default_factory=list, max_length=limits.MAX_REPORT_REPEATS)


class PersonIn(Strict):
    """A person: name, emails, phones."""

    first_name: ShortText = ""
    last_name: ShortText = ""
    emails: list[Email] = Repeats
    phones: list[Name] = Repeats


class ReporterIn(Strict):
    """The org as a reporter: its contact person, and optional company template, terms of service, legal URL."""

    person: PersonIn
    company_template: InfoText = ""
    terms_of_service: InfoText = ""
    legal_url: Url = ""


class ReportSettingsIn(Strict):
    """An org's reporter details, its default CyberTipline environment, and the platform's pre-submit webhook
    (asked for the uploader's details before a report is queued; none if omitted)."""

    reporter: ReporterIn
    environment: Annotated[Environment, Lax] = Environment.TEST
    pre_submit_url: Url | None = None


class ReportSettingsOut(BaseModel):
    """An org's reporter details, default environment and pre-submit webhook; the webhook's signing secret only in
    the answer that made it."""

    reporter: dict[str, Any]
    environment: str
    pre_submit_url: str | None = None
    pre_submit_secret: str | None = None
    updated_at: datetime | None


class IpCaptureIn(Strict):
    """An IP address the reported person used: for what, when, through a proxy or not, from which port."""

    ip_address: IpText
    event: Annotated[IpEvent, Lax] = IpEvent.UNKNOWN
    at: AwareTime | None = None
    possible_proxy: bool | None = None
    port: int | None = Field(default=None, ge=0, le=65535)


class ReportedPersonIn(Strict):
    """What the platform knows of the uploader (from a pre-submit webhook or a lead): names, emails, IPs."""

    screen_name: ShortText = ""
    display_names: list[Name] = Repeats
    profile_urls: list[Url] = Repeats
    emails: list[Email] = Repeats
    ip_captures: list[IpCaptureIn] = Repeats
    esp_service: ShortText = ""


class ReportFileIn(Strict):
    """One reported file: name, hashes, whether a person at the platform viewed it, whether it was publicly
    available, its original URL and its industry classification."""

    file_name: Name
    hashes: list[HashIn] = Field(min_length=1, max_length=limits.MAX_REPORT_FILE_HASHES)
    viewed_by_esp: bool = False
    publicly_available: bool | None = None
    original_url: Url = ""
    classification: Literal["", "A1", "A2", "B1", "B2"] = ""


class ReportIn(Strict):
    """A draft report about one uploader (the incident time defaults to now; the environment to the org's)."""

    uploader_id: Name
    incident_type: Annotated[IncidentType, Lax] = IncidentType.CHILD_PORNOGRAPHY
    incident_time: AwareTime | None = None
    environment: Annotated[Environment, Lax] | None = None
    reported_person: ReportedPersonIn = Field(default_factory=ReportedPersonIn)
    files: list[ReportFileIn] = Field(min_length=1, max_length=limits.MAX_REPORT_FILES)
    follows_report_id: int | None = Field(default=None, ge=1, le=limits.MAX_ID)
    additional_info: InfoText = ""


class ReportPatch(Strict):
    """Changes to a draft: every field given replaces the draft's (``files`` replaces all files)."""

    incident_type: Annotated[IncidentType, Lax] | None = None
    incident_time: AwareTime | None = None
    environment: Annotated[Environment, Lax] | None = None
    reported_person: ReportedPersonIn | None = None
    files: list[ReportFileIn] | None = Field(default=None, min_length=1, max_length=limits.MAX_REPORT_FILES)
    additional_info: InfoText | None = None


class CredentialsIn(Strict):
    """An org's CyberTipline account in one environment (the URL defaults to NCMEC's for the environment)."""

    username: Name
    password: str = Field(min_length=1, max_length=1000)
    url: Url | None = None


class CredentialsOut(BaseModel):
    """An account, never its password."""

    environment: str
    url: str
    username: str
    updated_at: datetime


class ReportFileOut(BaseModel):
    """A reported file and its upload state."""

    id: int
    file_name: str
    hashes: list[dict[str, str]]
    viewed_by_esp: bool
    publicly_available: bool | None
    original_url: str
    classification: str
    has_content: bool
    content_size: int | None
    ncmec_file_id: str | None
    details_sent: bool


class ReportOut(BaseModel):
    """A report, its files and its submission state."""

    id: int
    uploader_id: str
    environment: str
    status: str
    incident_type: str
    incident_time: datetime
    reporter: dict[str, Any]
    reported_person: dict[str, Any]
    additional_info: str
    follows_report_id: int | None
    prior_ncmec_report_ids: list[int]
    ncmec_report_id: int | None
    ncmec_opened_at: datetime | None
    ncmec_expires_at: datetime | None
    abandoned_ncmec_ids: list[int]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_error_code: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    retracted_at: datetime | None
    files: list[ReportFileOut]


class ValidationOut(BaseModel):
    """Whether the report's documents match the CyberTipline schema, and what is wrong if not."""

    valid: bool
    problems: list[str]
