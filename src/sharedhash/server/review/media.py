"""The media proxy: a reviewer sees the platform's own media URL through the node, never directly, and the node
fetches only from hosts the org allow-listed, only from public addresses, following no redirects.

The host is resolved once and the connection goes to the address that was checked (the ``Host`` header and the
TLS server name stay the URL's host), so a name that resolves differently a moment later (DNS rebinding) cannot
steer the proxy to a private address.
"""

from __future__ import annotations

import io
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from PIL import Image

from sharedhash.server.review.errors import (
    MediaHostNotAllowedError,
    MediaPrivateAddressError,
    MediaUnavailableError,
)
from sharedhash.settings import Settings

THUMBNAIL_PIXELS = 320
MEDIA_TYPES = ("image/", "video/")


@dataclass(frozen=True)
class Media:
    """Bytes to show, and their type."""

    content: bytes
    content_type: str


def host_key(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a media URL (only http and https), or :class:`MediaUnavailableError`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MediaUnavailableError("the media URL is malformed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaUnavailableError("the media URL is not an http(s) URL")
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def allowed(host: str, port: int, allow_list: list[str]) -> bool:
    """Whether ``host`` (or ``host:port``) is on the org's allow-list (exact names, no wildcards)."""
    names = {entry.strip().lower() for entry in allow_list}
    return host in names or f"{host}:{port}" in names


def public_address(host: str, port: int, allow_private: bool) -> str:
    """The first address ``host`` resolves to, if every one is public (or private ones are allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise MediaUnavailableError(f"the media host {host!r} does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise MediaUnavailableError(f"the media host {host!r} does not resolve")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global and not allow_private:
            raise MediaPrivateAddressError(f"the media host {host!r} resolves to a non-public address")
    return addresses[0]


def fetch(url: str, allow_list: list[str], settings: Settings) -> Media:
    """The media at ``url``, if its host is allow-listed and public; no redirects; at most the size limit."""
    scheme, host, port = host_key(url)
    if not allowed(host, port, allow_list):
        raise MediaHostNotAllowedError(f"the media host {host!r} is not on your org's allow-list")
    address = public_address(host, port, settings.review_media_allow_private)
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    target = urlunsplit((scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    limit = settings.review_media_max_bytes
    try:
        with (
            httpx.Client(timeout=settings.review_media_timeout_seconds, follow_redirects=False) as client,
            client.stream(
                "GET",
                target,
                headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*, video/*"},
                extensions={"sni_hostname": host},
            ) as response,
        ):
            if response.is_redirect:
                raise MediaUnavailableError("the media URL answered with a redirect, which the proxy does not follow")
            if response.status_code != 200:
                raise MediaUnavailableError(f"the media URL answered with HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not content_type.startswith(MEDIA_TYPES):
                raise MediaUnavailableError("the media URL did not answer with an image or a video")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise MediaUnavailableError(f"the media is over the proxy's limit of {limit} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise MediaUnavailableError(f"the media URL could not be fetched ({type(exc).__name__})") from None
    return Media(b"".join(chunks), content_type)


def thumbnail(media: Media, max_pixels: int) -> Media:
    """A small PNG of an image (thumbnails before full size); videos have none."""
    if not media.content_type.startswith("image/"):
        raise MediaUnavailableError("only images have thumbnails")
    try:
        with Image.open(io.BytesIO(media.content)) as image:
            if image.width * image.height > max_pixels:
                raise MediaUnavailableError("the image has more pixels than the configured limit")
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
    except (OSError, Image.DecompressionBombError, ValueError):
        raise MediaUnavailableError("the media is not an image the proxy can read") from None
    return Media(out.getvalue(), "image/png")
