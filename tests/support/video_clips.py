"""Benign generated test clips (moving gradients and shapes), written with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

VIDEO_DIR_NAME = "video"


def frame_pixels(i: int, width: int, height: int, seed: int = 0) -> np.ndarray:
    """A benign synthetic RGB frame: gradients plus a moving square, different per seed and frame."""
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(1, width - 1) + i * 3 + seed * 40) % 256
    g = (y * 255 // max(1, height - 1) + seed * 70) % 256
    b = ((x + y + i * 5) * 2 + seed * 13) % 256
    img = np.stack([r, g, b], axis=-1).astype(np.uint8)
    side = max(2, min(width, height) // 4)
    ox = (i * 7 + seed * 11) % max(1, width - side)
    oy = (i * 5 + seed * 3) % max(1, height - side)
    img[oy : oy + side, ox : ox + side] = (255 - 60 * (seed % 4), 40 * (seed % 5), 200)
    return img


def write_clip(
    path: Path,
    *,
    frames: int = 30,
    fps: int | Fraction = 10,
    width: int = 64,
    height: int = 48,
    seed: int = 0,
    codec: str = "libx264",
    pts_steps: list[int] | None = None,
    rotate: int | None = None,
    bframes: int = 2,
    gop: int = 12,
) -> Path:
    """Write a clip; ``pts_steps`` gives per-frame time steps (variable frame rate) in 1/1000 s."""
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"bf": str(bframes), "g": str(gop), "preset": "veryfast", "crf": "28"}
        if pts_steps is not None:  # variable frame rate: times in milliseconds
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotate is not None:
            stream.metadata["rotate"] = str(rotate)
        t = 0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(frame_pixels(i, width, height, seed), format="rgb24")
            if pts_steps is not None:
                frame.pts = t
                frame.time_base = Fraction(1, 1000)
                t += pts_steps[i % len(pts_steps)]
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_audio_only(path: Path) -> Path:
    """A short silent audio file (no video stream)."""
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        frame.pts = 0
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
