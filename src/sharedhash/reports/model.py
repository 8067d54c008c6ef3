"""What a CyberTipline report says, independent of storage: one report per reported person (the uploader), with
the reporter (the org), the reported person and the reported files. :mod:`sharedhash.reports.xml` writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class IncidentType(StrEnum):
    """The incident types of the CyberTipline (their text is the XML value)."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Act"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"


class IpEvent(StrEnum):
    """What the reported person did from an IP address."""

    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class Environment(StrEnum):
    """A CyberTipline environment: NCMEC's test system, or production (real reports)."""

    TEST = "test"
    PRODUCTION = "production"


#: The documented base URLs of the environments (an org's credentials may name another, e.g. a stand-in).
ENVIRONMENT_URLS: dict[Environment, str] = {
    Environment.TEST: "https://exttest.cybertip.org/ispws",
    Environment.PRODUCTION: "https://report.cybertip.org/ispws",
}

#: sharedhash hash types -> the CyberTipline ``originalFileHash/@hashType`` names (other types are not sent).
HASH_TYPE_NAMES: dict[str, str] = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}


@dataclass(frozen=True, slots=True)
class Person:
    """A person's name and contacts (the reporter's contact, or the reported person's known details)."""

    first_name: str = ""
    last_name: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IpCapture:
    """An IP address the reported person used, what for, and when."""

    ip_address: str
    event: IpEvent = IpEvent.UNKNOWN
    at: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@dataclass(frozen=True, slots=True)
class Reporter:
    """The reporting org: its contact person and the optional company template / terms / legal URL."""

    person: Person
    company_template: str = ""
    terms_of_service: str = ""
    legal_url: str = ""


@dataclass(frozen=True, slots=True)
class ReportedPerson:
    """The uploader as the platform knows them."""

    esp_identifier: str  # the platform's id of the user (the uploader id)
    screen_name: str = ""
    display_names: tuple[str, ...] = ()
    profile_urls: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    ip_captures: tuple[IpCapture, ...] = ()
    prior_reports: tuple[int, ...] = ()  # earlier CyberTipline report ids about this person (follow-ups)
    esp_service: str = ""


@dataclass(frozen=True, slots=True)
class ReportFile:
    """One reported file: name, hashes ``(type, value)``, whether a person at the platform viewed it, whether it
    was publicly available, where it was, its industry classification."""

    file_name: str
    hashes: tuple[tuple[str, str], ...] = ()
    viewed_by_esp: bool = False
    publicly_available: bool | None = None
    original_url: str = ""
    classification: str = ""  # A1, A2, B1, B2 or ""
    ip_captures: tuple[IpCapture, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """One CyberTipline report: the incident, the reporter, the reported person and the files."""

    incident_type: IncidentType
    incident_time: datetime
    reporter: Reporter
    reported_person: ReportedPerson
    files: tuple[ReportFile, ...] = ()
    additional_info: str = ""
