"""Bad input gets a specific sharedhash error, never a traceback or a hang; a bounded fuzz test backs that up."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sharedhash.errors import (
    CorruptMediaError,
    EmptyFileError,
    FileAccessError,
    ImageTooLargeError,
    ImageTooSmallError,
    SharedhashError,
    UnsupportedMediaError,
)
from sharedhash.hashing import decode, hash_media
from sharedhash.hashing.errors import CodecNotInstalledError, FileTooLargeError
from sharedhash.hashing.samples import make_sample
from sharedhash.settings import get_settings


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set SHAREDHASH_* limits for one test (the settings object is cached per process)."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and carries a few bytes of data (a decompression bomb shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_zero_bytes() -> None:
    with pytest.raises(EmptyFileError):
        hash_media(b"")


def test_not_an_image() -> None:
    with pytest.raises(UnsupportedMediaError) as info:
        hash_media(b"plimmerbolt 9, a text file and not an image\n" * 10)
    assert info.value.code == "unsupported_media"


def test_cryptographic_hashes_work_for_any_bytes() -> None:
    assert hash_media(b"", ("md5",)).hashes == {"md5": "d41d8cd98f00b204e9800998ecf8427e"}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"])
def test_truncated_files(fmt: str) -> None:
    data = encode(make_sample("texture", 320, 240), fmt)
    with pytest.raises((CorruptMediaError, UnsupportedMediaError)):
        hash_media(data[: len(data) // 2])


@pytest.mark.parametrize("size", [(1, 1), (4, 300), (300, 4)])
def test_too_small_for_pdq(size: tuple[int, int]) -> None:
    data = encode(Image.new("RGB", size, (10, 200, 30)), "PNG")
    with pytest.raises(ImageTooSmallError):
        hash_media(data)
    assert "md5" in hash_media(data, ("md5",)).hashes


def test_huge_dimensions_in_a_tiny_file_are_refused_before_decoding() -> None:
    data = png_header_only(100_000, 100_000)
    assert len(data) < 200
    with pytest.raises(ImageTooLargeError) as info:
        hash_media(data)
    assert info.value.code == "image_too_large"


def test_pixel_limit_is_configurable(limits: pytest.MonkeyPatch) -> None:
    limits.setenv("SHAREDHASH_MAX_IMAGE_PIXELS", "5000")
    data = encode(make_sample("rings", 100, 100), "PNG")
    with pytest.raises(ImageTooLargeError):
        hash_media(data)


def test_our_limit_decides_not_pillows(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(make_sample("rings", 100, 100), "PNG")
    expected = hash_media(data, ("pdq",)).hashes
    for pillow_limit in (6000, 1000):  # Pillow would warn, then refuse; our limit (200 MP) allows the image
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
        assert hash_media(data, ("pdq",)).hashes == expected
        assert pillow_limit == Image.MAX_IMAGE_PIXELS


def test_file_byte_limit(limits: pytest.MonkeyPatch, tmp_path: Path) -> None:
    limits.setenv("SHAREDHASH_MAX_FILE_BYTES", "1000")
    path = tmp_path / "big.png"
    path.write_bytes(encode(make_sample("texture", 200, 200), "PNG"))
    with pytest.raises(FileTooLargeError):
        hash_media(path)
    assert "sha256" in hash_media(path, ("sha256",)).hashes  # streamed, so no limit applies


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError):
        hash_media(tmp_path / "absent.jpg")
    with pytest.raises(FileAccessError):
        hash_media(tmp_path)
    with pytest.raises(FileAccessError):
        hash_media(tmp_path / "absent.jpg", ("md5",))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.jpg"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(FileAccessError):
        hash_media(path)


def test_heic_without_the_codec_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # `make test` installs the heif extra, so its absence is simulated where decoding asks for it.
    monkeypatch.setattr(decode, "_heif_available", lambda: False)
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(CodecNotInstalledError) as info:
        hash_media(data)
    assert "sharedhash[heif]" in info.value.hint


SEEDS = {fmt: encode(make_sample("shapes", 64, 48, seed=3), fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP", "BMP")}
SEEDS["TIFF"] = encode(make_sample("rings", 40, 30), "TIFF")


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            del data[pos : pos + draw(st.integers(1, 64))]
    return bytes(data)


# The limit is the same for every example, so the function-scoped fixture being shared is what we want.
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=mutated())
def test_fuzz_mutated_images_give_only_clean_errors(limits: pytest.MonkeyPatch, data: bytes) -> None:
    # A mutated header may claim a large image: keep what the fuzzer can make us allocate small.
    limits.setenv("SHAREDHASH_MAX_IMAGE_PIXELS", "4000000")
    get_settings.cache_clear()
    error: SharedhashError | None = None
    try:
        result = hash_media(data, dihedral=True)
    except SharedhashError as exc:  # anything else (a Pillow exception, a crash) fails the test
        error = exc
    if error is not None:
        assert error.code != "error"
        assert error.message
        return
    assert len(result.hashes["pdq"]) == 64
    assert result.pdq_quality is not None
    assert 0 <= result.pdq_quality <= 100


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError):
        hash_media(fifo)
    with pytest.raises(FileAccessError):
        hash_media(fifo, ("sha256",))
