"""CLI fixtures: a live hub made with ``sharedhash org create`` (see :mod:`tests.support.cli`)."""

from __future__ import annotations

from tests.support.cli import hub
from tests.support.webhooks import receiver, webhook_cli_hub

__all__ = ["hub", "receiver", "webhook_cli_hub"]
