"""Issue 18 F2: decoding uploads takes memory from one budget shared by every concurrent decode, reserved from the
file's header before any pixel is decoded; beyond it a request waits briefly, then gets 503 ``busy``."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from sharedhash.errors import ImageTooLargeError
from sharedhash.hashing.decode import memory_needed
from sharedhash.hub_errors import BusyError
from sharedhash.server.memory.decode_budget import DecodeBudget
from tests.support.api import assert_error
from tests.support.hub import Hub, state_of

MIB = 1024 * 1024


def _png(mode: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0 if mode in ("P", "L") else (90, 90, 90)).save(out, "PNG")
    return out.getvalue()


def test_memory_needed_is_read_from_the_header() -> None:
    pixels = 3000 * 2000
    grey = memory_needed(_png("L", (3000, 2000)), max_pixels=10**9)
    palette = memory_needed(_png("P", (3000, 2000)), max_pixels=10**9)
    rgb = memory_needed(_png("RGB", (3000, 2000)), max_pixels=10**9)
    assert pixels <= grey < pixels + 32 * MIB  # one byte a pixel, and the fixed overhead
    assert rgb - grey == 3 * pixels  # Pillow keeps RGB in four bytes a pixel
    assert palette - grey == 4 * pixels  # converted to RGB for hashing
    assert memory_needed(b"not an image at all", max_pixels=10**9) == 0
    assert memory_needed(_png("L", (3000, 2000)), max_pixels=1000) == 0  # refused by its header: nothing decoded


def test_budget_waits_then_refuses_and_never_overcommits() -> None:
    budget = DecodeBudget(100, wait_seconds=0.05)
    with pytest.raises(ImageTooLargeError):
        with budget.reserve(101):
            pass
    with budget.reserve(60):
        with pytest.raises(BusyError):
            with budget.reserve(50):
                pass
        assert budget.refused == 1
    # A waiter gets its share as soon as the holder lets go.
    holder_in = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with budget.reserve(80):
            holder_in.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holder_in.wait(5)
    budget.wait_seconds = 5
    threading.Timer(0.1, release.set).start()
    with budget.reserve(80):
        assert budget.reserved == 80
    thread.join()
    assert budget.peak == 80
    assert budget.reserved == 0


def test_uploads_beyond_the_budget_get_busy_and_oversized_decodes_are_refused(hub: Hub) -> None:
    state = state_of(hub)
    state.decode_budget = DecodeBudget(64 * MIB, wait_seconds=0.1)
    small = _png("L", (1000, 1000))  # ~17 MiB of decode memory with the overhead
    big = _png("RGB", (5000, 4000))  # 80 MB of pixels: more than the whole budget

    def post(data: bytes) -> object:
        return hub.client.post("/v1/lookup/file", files={"file": ("x.png", data)}, headers=hub.auth("owner"))

    r = post(small)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert_error(post(big), 422, "image_too_large")  # as the pixel limit answers
    with state.decode_budget.reserve(60 * MIB):  # other uploads hold most of it
        busy = post(small)
        assert_error(busy, 503, "busy")
        assert busy.headers["retry-after"] == "2"  # type: ignore[attr-defined]
    assert post(small).status_code == 200  # type: ignore[attr-defined]
    assert state.decode_budget.peak <= 64 * MIB
