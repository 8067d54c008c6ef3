"""CLI fixtures: a live hub made with ``sharedhash org create`` (see :mod:`tests.support.cli`)."""

from __future__ import annotations

from tests.support.cli import hub

__all__ = ["hub"]
