"""Fixtures shared by the whole suite: the reference test data folder and generated images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def testdata_dir() -> Path | None:
    """``$SHAREDHASH_TESTDATA`` or ``../shared/testdata`` beside the repository, if present."""
    configured = os.environ.get("SHAREDHASH_TESTDATA")
    candidate = Path(configured) if configured else REPO_ROOT.parent / "shared" / "testdata"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The reference test data; tests that need it are skipped, with the reason, where it is absent."""
    found = testdata_dir()
    if found is None:
        pytest.skip("reference test data not found: set SHAREDHASH_TESTDATA or place shared/testdata beside the repo")
    return found
