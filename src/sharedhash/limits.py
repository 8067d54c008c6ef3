"""Every limit of the hub's data and API, defined once: the store enforces them, the API schemas declare them
(so they show in /openapi.json), and the client may check them before sending. Imports only the standard
library."""

from __future__ import annotations

import unicodedata

#: The longest hash value any request may carry, and the longest hash-type name.
HASH_VALUE_MAX = 512
#: The longest value of a hash type with long values (its ``max_value_chars`` trait; e.g. vpdq: ~86 characters per
#: hashed frame, so a four-hour video, the default ``video_max_seconds``, hashed once a second is about 1.2 MB).
LONG_HASH_VALUE_MAX = 2 * 1024 * 1024
HASH_TYPE_NAME_MAX = 32
#: Hashes of one entry (of one file), labels of an entry and their length, an entry's external id.
MAX_HASHES_PER_ENTRY = 32
MAX_LABELS = 50
MAX_LABEL_CHARS = 100
MAX_EXTERNAL_ID_CHARS = 200
#: The largest near-match threshold a list may set, and a lookup may ask for (PDQ bits of 256).
PDQ_THRESHOLD_MAX = 63
#: The threshold of a new list unless it says otherwise.
PDQ_THRESHOLD_DEFAULT = 31
#: A list's video match rule (percent of frames): a query video matches a listed one when at least this share of the
#: listed video's frames match (the reference's 80), and at least this share of the query's (by default not asked).
VIDEO_LISTED_PERCENT_DEFAULT = 80
VIDEO_QUERY_PERCENT_DEFAULT = 0
#: Names and texts.
MAX_ORG_NAME_CHARS = 100
MAX_KEY_NAME_CHARS = 100
#: Longest reason an operator gives for suspending an org (kept in the suspension's history).
MAX_SUSPENSION_REASON_CHARS = 500
MAX_LIST_NAME_CHARS = 200
MAX_LIST_DESCRIPTION_CHARS = 5000
MAX_SHARES = 1000
MAX_NOTE_CHARS = 2000
#: Most distinct disputing orgs a list's quarantine policy may wait for.
MAX_QUARANTINE_AFTER = 1000
#: Pages: entries of a list, changes of a feed, audit events; a feed cursor's length.
MAX_ENTRY_PAGE = 1000
MAX_FEED_PAGE = 10_000
MAX_AUDIT_PAGE = 1000
MAX_CURSOR_CHARS = 200
#: Media: a decompression-bomb guard (200 MP is larger than any camera photo in common use) and the largest file
#: hashed; the settings `max_image_pixels` and `max_file_bytes` default to these.
MAX_IMAGE_PIXELS_DEFAULT = 200_000_000
MAX_FILE_BYTES_DEFAULT = 100 * 1024 * 1024
#: A subscription's interval: the server looks for due subscriptions every ``subscription_poll_seconds`` (5 s by
#: default), so a shorter interval could not be kept; the longest is a week.
MIN_SUBSCRIPTION_INTERVAL_SECONDS = 5
MAX_SUBSCRIPTION_INTERVAL_SECONDS = 7 * 24 * 3600
#: CyberTipline reports: files per report, hashes per file, a page of the report list, the reported person's
#: repeated fields (emails, IP capture events, names, URLs), a short text field (names, ids) and a long one.
MAX_REPORT_FILES = 1000
MAX_REPORT_FILE_HASHES = 10
MAX_REPORT_PAGE = 500
MAX_REPORT_REPEATS = 100
MAX_REPORT_SHORT_CHARS = 500
MAX_REPORT_INFO_CHARS = 10_000
#: The largest id any route accepts (ids are 64-bit signed integers in the database); larger ids are refused (422).
MAX_ID = 2**63 - 1
#: The largest deterrence check body (a check reads at most ``deterrence_max_query_chars`` of its query; checks are
#: answered on the event loop, so a larger body is refused with 413 while it streams, before any parsing).
MAX_CHECK_BODY_BYTES = 64 * 1024
#: Any other text field of a request that declares no limit of its own (a path segment, a catalog string).
MAX_TEXT_CHARS = 10_000


def text_problem(value: str) -> str | None:
    """Why ``value`` may not be stored or echoed, or None if it may: a lone UTF-16 surrogate (no UTF-8 encoding:
    every later read of the row would fail), a NUL character (PostgreSQL text cannot hold one), or text not in
    Unicode NFC (two spellings of one name would be two names). The one rule for every text field of the API."""
    if value.isascii():
        return "text must not contain NUL characters" if "\x00" in value else None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text must not contain lone UTF-16 surrogates (it is not valid Unicode)"
    if "\x00" in value:
        return "text must not contain NUL characters"
    if not unicodedata.is_normalized("NFC", value):
        return "text must be in Unicode normalisation form NFC"
    return None


# People who sign in to the review pages (issue 13).
MAX_LOGIN_CHARS = 200
MAX_DISPLAY_NAME_CHARS = 200
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1000
#: Failed sign-ins in a row before a person is locked out for a while (settings: review_lock_seconds).
SIGN_IN_FAILURES_BEFORE_LOCK = 5
MAX_SKIP_REASON_CHARS = 32
MAX_MEDIA_HOSTS = 100
MAX_WELLNESS_BLUR = 4
