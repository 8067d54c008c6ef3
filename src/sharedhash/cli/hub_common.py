"""Plumbing shared by the hub commands: the hub URL and API key options, and the client built from them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from sharedhash.errors import AuthenticationError

if TYPE_CHECKING:
    from sharedhash.client import Client

URL_OPTION: Any = typer.Option(None, "--url", help="Hub URL (default: SHAREDHASH_HUB_URL or http://127.0.0.1:8000).")
KEY_OPTION: Any = typer.Option(None, "--api-key", help="Org API key (default: SHAREDHASH_API_KEY).")
JSON_OPTION: Any = typer.Option(False, "--json", help="Print JSON instead of tables.")


def make_client(url: str | None, api_key: str | None) -> Client:
    """A client of the chosen hub; a missing key is a clear error, not a 401 later."""
    # Imported here: httpx and pydantic-settings cost start-up time that `--help` and the other commands do not need.
    from sharedhash.client import Client
    from sharedhash.settings import get_settings

    settings = get_settings()
    key = api_key or settings.api_key
    if not key:
        raise AuthenticationError(
            "no API key given", hint="Pass --api-key or set SHAREDHASH_API_KEY (`sharedhash org create` prints one)."
        )
    return Client(url or settings.hub_url, key)


def short(value: str, n: int = 8) -> str:
    """A hash value as human output shows it: its first characters only."""
    return value[:n] + ("…" if len(value) > n else "")
