"""Benign sample images the package generates itself (gradients, shapes, textures), for demos and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SAMPLE_NAMES = ("gradient", "rings", "checkerboard", "shapes", "texture")


def make_sample(name: str, width: int = 640, height: int = 480, seed: int = 0) -> Image.Image:
    """One deterministic benign RGB image called ``name`` (see :data:`SAMPLE_NAMES`)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if name == "gradient":
        rgb = np.stack([xx / width * 255, yy / height * 255, (xx + yy) / (width + height) * 255], axis=-1)
    elif name == "rings":
        r = np.hypot(xx - width / 2, yy - height / 2)
        v = (np.sin(r / 9.0) + 1) * 127.5
        rgb = np.stack([v, 255 - v, np.full_like(v, 128)], axis=-1)
    elif name == "checkerboard":
        v = (((xx // 40) + (yy // 40)) % 2) * 200 + 28
        rgb = np.stack([v, v * 0.8, v * 0.5], axis=-1)
    elif name == "texture":
        rng = np.random.default_rng(seed)
        small = rng.integers(0, 256, size=(max(2, height // 16), max(2, width // 16), 3), dtype=np.uint8)
        return Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    elif name == "shapes":
        img = Image.new("RGB", (width, height), (235, 240, 250))
        draw = ImageDraw.Draw(img)
        rng = np.random.default_rng(seed)
        for _ in range(12):
            x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
            x1 = x0 + int(rng.integers(20, max(21, width // 2)))
            y1 = y0 + int(rng.integers(20, max(21, height // 2)))
            colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
            if rng.random() < 0.5:
                draw.ellipse((x0, y0, x1, y1), fill=colour)
            else:
                draw.rectangle((x0, y0, x1, y1), fill=colour)
        return img
    else:
        raise ValueError(f"unknown sample {name!r}; choose from {', '.join(SAMPLE_NAMES)}")
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


def write_samples(folder: Path, width: int = 640, height: int = 480) -> Iterator[Path]:
    """Write every sample as a JPEG in ``folder`` and yield the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_NAMES:
        path = folder / f"{name}.jpg"
        make_sample(name, width, height).save(path, quality=90)
        yield path


def write_sample_video(path: Path, seconds: int = 4, fps: int = 25, width: int = 320, height: int = 240) -> Path:
    """A benign generated clip (the samples in turn, panning slowly) as H.264 MP4 (MPEG-4 Part 2 where this PyAV
    build lacks an H.264 encoder)."""
    from fractions import Fraction

    from sharedhash._optional import require

    av = require("av", "server", "Writing the sample video")
    path.parent.mkdir(parents=True, exist_ok=True)
    scenes = [np.asarray(make_sample(name, width * 2, height)) for name in SAMPLE_NAMES[:seconds]]
    with av.open(str(path), mode="w") as out:
        try:
            stream = out.add_stream("libx264", rate=Fraction(fps))
        except Exception:  # a build without libx264
            stream = out.add_stream("mpeg4", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(seconds * fps):
            scene = scenes[(i // fps) % len(scenes)]
            shift = (i % fps) * width // fps
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(scene[:, shift : shift + width]), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
