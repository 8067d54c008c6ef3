"""Debian's Chromium for the browser tests, driven by Playwright for Python (Playwright's own browser download fails
here; `.ci/run` installs the Debian package when it is missing)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

#: Chromium's flags in a container without a display, a GPU or a network to update from.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_or_skip() -> tuple[Any, str]:
    """Playwright's sync API and the path of Debian's chromium; the test is skipped when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return sync_api, chromium


def watch_csp(page: Any, violations: list[str]) -> None:
    """Collect the page's Content-Security-Policy violations (the pages must cause none)."""
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
