"""Which webhook URLs the node sends to: a webhook URL must not be a way into the node's own network.

A URL is https (http only to loopback, when ``webhook_allow_loopback`` is set), without credentials, and every
address its host resolves to is public, or loopback/private when the settings allow those. The check runs when an
endpoint is created and again at every delivery, on the addresses the worker then connects to (a name that
resolved to a public address at creation and to a private one later, DNS rebinding, is refused then). Redirects
are never followed (the worker's HTTP client), so a public receiver cannot bounce an event inward either."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sharedhash.hub_errors import InvalidWebhookUrlError
from sharedhash.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The longest webhook URL (the column's size).
MAX_URL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A webhook URL taken apart: what the worker connects to, and what it says in ``Host`` and TLS SNI."""

    url: str
    scheme: str
    host: str
    port: int
    #: ``host`` as an address when the URL names one (no resolution needed), else None.
    literal: IPAddress | None

    def with_address(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address`` (the worker connects to the address it checked)."""
        parts = urlsplit(self.url)
        host = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
        return parts._replace(netloc=netloc).geturl()

    @property
    def host_header(self) -> str:
        """The ``Host`` header for this URL."""
        return urlsplit(self.url).netloc


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_problem(address: IPAddress, settings: Settings) -> str | None:
    """Why the node may not send to ``address`` (None: it may)."""
    address = _unmapped(address)
    if address.is_unspecified or address.is_multicast:
        return f"{address} is not a unicast address"
    if address.is_loopback:
        return None if settings.webhook_allow_loopback else f"{address} is a loopback address"
    if address.is_global:
        return None
    if settings.webhook_allow_private:
        return None
    kind = "link-local" if address.is_link_local else "private or reserved"
    return f"{address} is a {kind} address"


def parse_url(url: str, settings: Settings) -> ParsedUrl:
    """The URL taken apart, or :class:`InvalidWebhookUrlError` saying what is wrong with it (no resolution)."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidWebhookUrlError(f"the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrlError(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise InvalidWebhookUrlError("a webhook URL starts with https://")
    if not parts.hostname:
        raise InvalidWebhookUrlError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrlError("the URL holds credentials; a webhook is authenticated by its signature")
    if parts.fragment:
        raise InvalidWebhookUrlError("the URL has a fragment (#...), which is never sent")
    if any(c.isspace() or ord(c) < 0x21 for c in url):
        raise InvalidWebhookUrlError("the URL holds spaces or control characters")
    try:
        literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    default_port = 443 if parts.scheme == "https" else 80
    return ParsedUrl(url=url, scheme=parts.scheme, host=parts.hostname, port=port or default_port, literal=literal)


def check_addresses(parsed: ParsedUrl, addresses: list[IPAddress], settings: Settings) -> None:
    """Refuse the URL unless every address it resolves to may be sent to (and http only goes to loopback)."""
    if not addresses:
        raise InvalidWebhookUrlError(f"{parsed.host} resolves to no address")
    for address in addresses:
        problem = address_problem(address, settings)
        if problem is not None:
            raise InvalidWebhookUrlError(
                f"{parsed.host} resolves to {address}: {problem.split(' is ', 1)[1]}, refused"
                if parsed.literal is None
                else f"{problem}: refused"
            )
        if parsed.scheme == "http" and not _unmapped(address).is_loopback:
            raise InvalidWebhookUrlError("a webhook URL starts with https:// (http only to loopback, when allowed)")


def resolve(parsed: ParsedUrl) -> list[IPAddress]:
    """Every address the URL's host resolves to now (blocking: the service runs in a worker thread)."""
    if parsed.literal is not None:
        return [parsed.literal]
    try:
        infos = socket.getaddrinfo(parsed.host, parsed.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidWebhookUrlError(f"{parsed.host} does not resolve: {exc}") from None
    return addresses_of(infos)


def addresses_of(infos: Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]) -> list[IPAddress]:
    """The distinct addresses of ``getaddrinfo`` results, in their order."""
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def validate_url(url: str, settings: Settings) -> ParsedUrl:
    """Check a new endpoint's URL: its form, and the addresses its host resolves to now."""
    parsed = parse_url(url, settings)
    check_addresses(parsed, resolve(parsed), settings)
    return parsed
