"""The typed Python client of a sharedhash hub (httpx); the CLI and sync use it."""

from sharedhash.client.client import Client, error_from_response
from sharedhash.client.errors import HubUnreachableError, UnexpectedResponseError

__all__ = ["Client", "HubUnreachableError", "UnexpectedResponseError", "error_from_response"]
