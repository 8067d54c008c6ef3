"""The media proxy's rules on their own: exact allow-list, public addresses only, http(s) only."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from sharedhash.server.review import media
from sharedhash.server.review.errors import MediaPrivateAddressError, MediaUnavailableError
from tests.support.review import benign_png


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1", "fc00::1"]
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(MediaPrivateAddressError):
        media.public_address(address, 80, allow_private=False)
    assert media.public_address(address, 80, allow_private=True) == address


def test_public_addresses_pass() -> None:
    assert media.public_address("93.184.215.14", 443, allow_private=False) == "93.184.215.14"


def test_the_allow_list_is_exact() -> None:
    hosts = ["media.quuxvid.test", "cdn.quuxvid.test:8443"]
    assert media.allowed("media.quuxvid.test", 443, hosts)
    assert media.allowed("cdn.quuxvid.test", 8443, hosts)
    assert not media.allowed("cdn.quuxvid.test", 443, hosts)
    assert not media.allowed("evil.media.quuxvid.test", 443, hosts)
    assert not media.allowed("media.quuxvid.test.evil", 443, hosts)


@pytest.mark.parametrize("url", ["ftp://media.quuxvid.test/1.png", "file:///etc/passwd", "http://", "http://[::1/"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(MediaUnavailableError):
        media.host_key(url)


def test_thumbnails_are_small_pngs() -> None:
    small = media.thumbnail(media.Media(benign_png(), "image/png"), 10**8)
    assert small.content_type == "image/png"
    with Image.open(BytesIO(small.content)) as image:
        assert max(image.size) <= media.THUMBNAIL_PIXELS
    with pytest.raises(MediaUnavailableError):
        media.thumbnail(media.Media(b"<html>zorblax</html>", "image/png"), 10**8)
    with pytest.raises(MediaUnavailableError):
        media.thumbnail(media.Media(benign_png(), "image/png"), 100)
