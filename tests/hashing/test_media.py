"""hash_media: one decode, every type, bytes and paths alike; the numpy fallback equals the compiled kernels."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.errors import UnknownHashTypeError
from sharedhash.hashing import MediaHashes, hash_media, pdq
from sharedhash.hashing.samples import make_sample

T = TypeVar("T")


def jpeg(name: str = "shapes", width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    make_sample(name, width, height).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_bytes_and_path_give_the_same_hashes(tmp_path: Path) -> None:
    data = jpeg()
    path = tmp_path / "a.jpg"
    path.write_bytes(data)
    from_path = hash_media(path)
    assert from_path == hash_media(data)
    assert list(from_path.hashes) == ["pdq", "md5", "sha1", "sha256"]
    assert from_path.hashes["sha256"] == hashlib.sha256(data).hexdigest()
    assert from_path.pdq_quality == 100
    assert from_path.pdq_dihedral is None


def test_requested_types_only_and_in_order() -> None:
    result = hash_media(jpeg(), ["SHA1", "pdq", "sha1"])
    assert list(result.hashes) == ["sha1", "pdq"]
    crypto = hash_media(jpeg(), ("md5",))
    assert crypto == MediaHashes(hashes={"md5": hashlib.md5(jpeg()).hexdigest()})


def test_unknown_types() -> None:
    with pytest.raises(UnknownHashTypeError):
        hash_media(jpeg(), ("vpdq",))
    with pytest.raises(UnknownHashTypeError):
        hash_media(jpeg(), ())


def test_dihedral_first_variant_is_the_hash() -> None:
    result = hash_media(jpeg(), ("pdq",), dihedral=True)
    assert result.pdq_dihedral is not None
    assert len(set(result.pdq_dihedral)) == 8
    assert result.pdq_dihedral[0] == result.hashes["pdq"]


def test_fast_mode_is_close_to_exact() -> None:
    data = jpeg("shapes", 3000, 2000)
    exact = hash_media(data, ("pdq",)).hashes["pdq"]
    fast = hash_media(data, ("pdq",), fast=True).hashes["pdq"]
    assert (int(exact, 16) ^ int(fast, 16)).bit_count() <= 16


class _UnknownLayout(pdq.PixelSource):
    """Pixels whose Pillow memory the kernel cannot read (as with an unknown Pillow version)."""

    def core_source(self) -> bytes:
        return b"not a Pillow capsule"


def _without_core(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with the compiled kernels switched off: the numpy fallback path."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdq, "_core", None)
        return fn(*args)


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(5, 900),
    height=st.integers(5, 700),
    orientation=st.integers(1, 8),
    mode=st.sampled_from(["RGB", "RGBA", "L"]),
)
def test_numpy_fallback_equals_the_compiled_kernel(width: int, height: int, orientation: int, mode: str) -> None:
    if not pdq.core_available():
        pytest.skip("compiled kernels not built")
    image = make_sample("texture", width, height).convert(mode)
    src = pdq.PixelSource(image, orientation)
    compiled = pdq._buffer64(src)
    fallback = _without_core(pdq._buffer64, src)
    np.testing.assert_allclose(compiled, fallback, rtol=0, atol=1e-9)
    # The kernel reading a numpy copy (for Pillow layouts it does not know) gives the same values too.
    np.testing.assert_allclose(pdq._buffer64(_UnknownLayout(image, orientation)), compiled, rtol=0, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.3, 3.0, 30.0, 255.0]), tol=st.sampled_from([1e-3, 0.05])
)
def test_compiled_quality_equals_numpy_quality(seed: int, scale: float, tol: float) -> None:
    if not pdq.core_available():
        pytest.skip("compiled kernels not built")
    buf = np.random.default_rng(seed).random((64, 64)) * scale
    compiled = pdq._quality_and_margin(buf, tol)
    fallback = _without_core(pdq._quality_and_margin, buf, tol)
    assert compiled == fallback


def test_compiled_dct_equals_numpy_dct() -> None:
    if not pdq.core_available():
        pytest.skip("compiled kernels not built")
    buf = np.random.default_rng(3).random((64, 64)) * 255
    compiled = pdq._dct_of(buf)
    fallback = _without_core(pdq._dct_of, buf)
    np.testing.assert_allclose(compiled, fallback, rtol=0, atol=1e-9)
