"""Report-page helpers: queued content whose hashes are those of real (benign, generated) bytes, so its draft
report can be submitted, and an org set up to report to the CyberTipline stand-in."""

from __future__ import annotations

import hashlib

from sharedhash.reports.model import Environment
from sharedhash.reports.standin import StandIn
from sharedhash.server.reports import service as reports
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.models import ContentCheck
from sharedhash.store.visibility import Caller
from tests.support.reports import STANDIN_PASSWORD, STANDIN_USER
from tests.support.review import Content, queued


def queued_file(
    db: Database, org: Caller, *, n: int, data: bytes, url: str | None = None, uploader: str | None = "uploader-7"
) -> Content:
    """Like :func:`tests.support.review.queued`, but the content's MD5 and SHA-1 are those of ``data``."""
    content = queued(db, org, n=n, url=url, uploader=uploader, content_id=f"upload-{n}.png")
    with db.writing() as s:
        check = s.get(ContentCheck, content.check_id)
        assert check is not None
        check.hashes = [
            {"type": "md5", "value": hashlib.md5(data).hexdigest()},
            {"type": "sha1", "value": hashlib.sha1(data).hexdigest()},
        ]
    return content


def reporting_org(db: Database, settings: Settings, org: Caller, standin: StandIn | None = None) -> None:
    """Give the org reporter details and, with a stand-in, credentials for the test environment."""
    reporter = {"person": {"first_name": "Example", "last_name": "Reporter", "emails": ["reports@example.org"]}}
    reports.put_settings_of(db, settings, org, reporter, Environment.TEST)
    if standin is not None:
        reports.set_credentials(db, settings, org, Environment.TEST, STANDIN_USER, STANDIN_PASSWORD, url=standin.url)
