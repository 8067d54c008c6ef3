"""Errors of CyberTipline reporting: each NCMEC response code maps to one class (:data:`BY_RESPONSE_CODE`), under
the branches of :mod:`sharedhash.errors` (single inheritance: each CyberTipline answer is one
:class:`CyberTiplineError`, HTTP 502 unless NCMEC's answer maps onto a status of ours). ``transient`` says whether
retrying later may succeed."""

from __future__ import annotations

from typing import ClassVar

from sharedhash.errors import InvalidInputError, SharedhashError


class ReportXmlInvalidError(InvalidInputError):
    """A report or file-details document that the CyberTipline schema refuses (checked before sending)."""

    code = "report_xml_invalid"
    transient: ClassVar[bool] = False
    default_hint = "Fix the fields named in `problems` (see docs/reports.md for what each XML element holds)."


class CyberTiplineError(SharedhashError):
    """NCMEC's CyberTipline answered with an error (the response code is in ``response_code``)."""

    code = "cybertipline_error"
    http_status = 502
    transient: ClassVar[bool] = True
    default_hint = "The report stays queued and is retried with back-off; see its `last_error`."


class CyberTiplineUnreachableError(CyberTiplineError):
    """The CyberTipline server could not be reached, or the connection broke mid-request."""

    code = "cybertipline_unreachable"
    default_hint = "Retried with exponential back-off; check the environment's URL and the network."


class CyberTiplineServerError(CyberTiplineError):
    """NCMEC reported a server-side failure (codes 1000-1300, or an HTTP 5xx)."""

    code = "cybertipline_server_error"


class CyberTiplineAuthError(CyberTiplineError):
    """The CyberTipline credentials were refused (code 2000), or the account may not submit (3000-3300)."""

    code = "cybertipline_auth"
    http_status = 502
    transient = False
    default_hint = "Set the org's credentials for this environment: `sharedhash report credentials set --env test`."


class CyberTiplineNotAuthorizedError(CyberTiplineAuthError):
    """The CyberTipline account is not authorized for this action (codes 3000, 3100, 3300)."""

    code = "cybertipline_not_authorized"
    http_status = 502
    default_hint = "Ask NCMEC to enable submissions for this account and environment."


class CyberTiplineValidationError(CyberTiplineError):
    """NCMEC's schema refused the document (code 4100 validation failed, 4000 invalid request)."""

    code = "cybertipline_validation_failed"
    http_status = 422
    transient = False
    default_hint = "Fix the report's fields; `POST /v1/reports/{id}/validate` shows the problems."


class CyberTiplineMalformedError(CyberTiplineValidationError):
    """NCMEC could not parse the XML or the file part (codes 4110, 4200)."""

    code = "cybertipline_malformed"


class CyberTiplineReportGoneError(CyberTiplineError):
    """NCMEC does not know the report or file (5001, 5002): usually an unfinished report NCMEC let expire."""

    code = "cybertipline_report_gone"
    http_status = 502
    default_hint = "The submission starts again with a new report (the expired id is kept in the report's history)."


class CyberTiplineAlreadyFinishedError(CyberTiplineError):
    """The report is already finished at NCMEC (5102): nothing more can be added and it cannot be retracted."""

    code = "cybertipline_already_finished"
    http_status = 409
    transient = False
    default_hint = "A finished report is final; send a follow-up report that references it instead."


class CyberTiplineAlreadyRetractedError(CyberTiplineError):
    """The report was already retracted at NCMEC (5101)."""

    code = "cybertipline_already_retracted"
    http_status = 409
    transient = False
    default_hint = "Create a new report if the material still has to be reported."


#: NCMEC response codes (public documentation, "Report response") -> the error raised for them.
BY_RESPONSE_CODE: dict[int, type[CyberTiplineError]] = {
    1000: CyberTiplineServerError,  # server error
    1100: CyberTiplineServerError,  # save failed
    1110: CyberTiplineServerError,  # upload failed
    1111: CyberTiplineServerError,  # file upload failed
    1210: CyberTiplineReportGoneError,  # resource not found
    1300: CyberTiplineServerError,  # update failed
    2000: CyberTiplineAuthError,  # authentication required
    3000: CyberTiplineNotAuthorizedError,  # not authorized for this action
    3100: CyberTiplineNotAuthorizedError,  # not authorized to make submissions
    3300: CyberTiplineNotAuthorizedError,  # not authorized to make updates
    4000: CyberTiplineValidationError,  # invalid request
    4100: CyberTiplineValidationError,  # validation failed
    4110: CyberTiplineMalformedError,  # malformed XML submittal
    4200: CyberTiplineMalformedError,  # malformed file submittal
    5001: CyberTiplineReportGoneError,  # report does not exist
    5002: CyberTiplineReportGoneError,  # file does not exist
    5101: CyberTiplineAlreadyRetractedError,  # report already retracted
    5102: CyberTiplineAlreadyFinishedError,  # report already finished
}


def error_for(response_code: int, description: str, what: str) -> CyberTiplineError:
    """The error for a non-zero NCMEC response code (an unknown code is a server error, retried)."""
    cls = BY_RESPONSE_CODE.get(response_code, CyberTiplineServerError)
    return cls(
        f"{what}: CyberTipline answered {response_code} ({description or 'no description'})",
        response_code=response_code,
    )
