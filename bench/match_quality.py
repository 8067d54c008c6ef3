"""Match quality under evasive edits: recall and false positives of the reference PDQ path, today's and the new one.

Originals: benign wallpapers, photos and artwork that Debian packages install: every JPEG, PNG and WebP file (by
``dpkg -L``) of gnome-backgrounds, desktop-base, mate-backgrounds, ukui-wallpapers, lomiri-wallpapers,
sway-backgrounds, plasma-workspace-wallpapers (the largest of each wallpaper's sizes), debian-edu-artwork and
xplanet-images, each cut into non-overlapping tiles (different pictures) of at most 640 px; tiles whose PDQ quality
is under 50 cannot be contributed and are left out. Hard negatives: generated near-identical different pictures
(star fields, solar-cell grids, frames of a synthetic video, clip-art on plain backgrounds, flat and low-quality
images); half are listed, the other half (and the originals themselves) are queried: every match is a false positive.

Three paths, on the same encoded query bytes:
- reference: Pillow decode + ``pdqhash`` (Meta's C++), PDQ distance <= 31, no dihedral variants; hashes of quality
  <= 49 discarded on both sides (the PDQ README's recommendation);
- today: ``sharedhash match --dihedral`` (pdq and its 8 variants, <= 31): the listed side holds hashes of quality
  >= 50 only (the contribution gate), the query is not gated (``match`` and the hub's file lookup do not gate it);
- new: today's or the region evidence (``pdqr``, :func:`sharedhash.hashing.regions.decide` at its defaults).

A third of the originals (by a hash of their name) and two families (``frame``, ``crop_text_jpeg``) are held out
of every tuning decision and reported separately (``--tuned-only`` prints the tuned part alone, for tuning).

False positives among the originals: the originals are tiles of wallpapers, and some pairs of them are the same
picture (packages ship one wallpaper twice, in light and dark variants; neighbouring tiles of one sky). The rule,
fixed before the new path's false pairs were looked at: a match of original (or copy of original) i to listed
original j is *related*, and not counted as a false positive, when i and j are tiles of the same source file, or
when the reference path (``pdqhash``, <= 31) matches the untransformed originals i and j to each other. Related
matches are reported beside the false positives; every other match of another original is a false positive. Among
those, the pairs of a light and a dark variant of one wallpaper at the same tile (files named ``x-l`` and ``x-d``:
one design in two palettes) are counted too and reported as such (found after the rule was fixed, when the new
path's false pairs were read: they stay false positives in the counts).
``--why`` (tuned part only) says why each recall miss of the edits PDQ survives by design (JPEG, noise, blur,
downscale, gamma, colour, mirror, stretch) was missed: the query's PDQ quality under 50, the whole picture's distance
to its original (the best of the 8 dihedral forms), and whether the original's own hash survives no edit at all
(its JPEG at quality 92, and a copy one pixel narrower, against the listed one).
``--distances`` prints the distance distributions of true and false pairs per evidence kind (tuned part only) that
the thresholds were chosen from.

    python bench/match_quality.py --quick            # 60 originals, 1,000 negatives, a few minutes
    python bench/match_quality.py --originals 510    # 510 originals (each family at one strength per original,
                                                     # in turn), 5,000 queried negatives: ~15 CPU minutes
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps
from rich.console import Console
from rich.table import Table

from sharedhash.hashing import hash_media
from sharedhash.hashing.regions import DEFAULT_THRESHOLDS, Hit, decide, probe_limit
from sharedhash.index import index_class
from sharedhash.index.segments import SegmentedIndex

# The Debian packages whose pictures are the originals: every JPEG, PNG or WebP file each installs (``dpkg -L``).
PACKAGES = (
    "gnome-backgrounds",
    "desktop-base",
    "mate-backgrounds",
    "ukui-wallpapers",
    "lomiri-wallpapers",
    "sway-backgrounds",
    "plasma-workspace-wallpapers",
    "debian-edu-artwork",
    "xplanet-images",
)
TILE = 400
CACHE = Path.home() / ".cache" / "sharedhash-bench" / "match_quality"
HELD_FAMILIES = ("frame", "crop_text_jpeg")
PDQ_T = 31

Transform = Callable[[Image.Image, float, random.Random], Image.Image]


# ---------------------------------------------------------------------------------------------------- originals


def _package_files() -> list[Path]:
    """Every file the PACKAGES install that is installed on this machine (a package that is missing adds none)."""
    import subprocess

    files: list[Path] = []
    for package in PACKAGES:
        listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
        files += [Path(line) for line in listing.stdout.splitlines() if line.startswith("/")]
    return files


def _source_files() -> list[Path]:
    """One file per picture: the largest of each plasma wallpaper's sizes, every other image as found."""
    best: dict[str, Path] = {}
    for path in sorted(set(_package_files())):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp") or not path.is_file():
            continue
        key = str(path.parent) if "/contents/images" in str(path) else str(path)
        if key not in best or path.stat().st_size > best[key].stat().st_size:
            best[key] = path
    return sorted(best.values())


def _tiles(path: Path) -> list[tuple[str, Image.Image]]:
    """A grid of non-overlapping tiles of about TILE px (different pictures) of one source picture at <= 4 TILE."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (4 * TILE, 4 * TILE))
            image = ImageOps.exif_transpose(im).convert("RGB")
    except (OSError, ValueError):
        return []
    image.thumbnail((4 * TILE, 4 * TILE))
    w, h = image.size
    cols, rows = max(1, round(w / TILE)), max(1, round(h / TILE))
    tw, th = w // cols, h // rows
    if min(tw, th) < 200:
        return []
    return [
        (f"{path.relative_to('/usr/share')}#{r}.{c}", image.crop((c * tw, r * th, (c + 1) * tw, (r + 1) * th)))
        for r in range(rows)
        for c in range(cols)
    ]


def collect_originals(limit: int | None) -> list[tuple[str, Image.Image]]:
    """Tiles of every source picture (cached as PNG under ~/.cache: decoding the big wallpapers takes minutes)."""
    out: list[tuple[str, Image.Image]] = []
    seen: set[str] = set()
    files = _source_files()
    key = hashlib.sha256(f"{TILE}:{[str(f) for f in files]}".encode()).hexdigest()[:16]
    folder = CACHE / key
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        names: list[list[str]] = []
        for path in files:
            for name, tile in _tiles(path):
                digest = hashlib.sha256(tile.tobytes()).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                file = f"{len(names):05d}.png"
                tile.save(folder / file)
                names.append([name, file])
        (folder / "index.json").write_text(json.dumps(names))
        (folder / "done").touch()
    for name, file in json.loads((folder / "index.json").read_text()):
        with Image.open(folder / file) as im:
            out.append((name, im.convert("RGB")))
    rng = random.Random(15)
    rng.shuffle(out)
    return out[:limit] if limit else out


def related(names: list[str], refs: list[int], i: int, j: int) -> bool:
    """Whether originals ``i`` and ``j`` are one picture (see the module's rule): tiles of the same source file, or
    their reference PDQ hashes within PDQ_T (the reference path matches them to each other)."""
    if names[i].split("#")[0] == names[j].split("#")[0]:
        return True
    return (refs[i] ^ refs[j]).bit_count() <= PDQ_T


def _design(name: str) -> str:
    """The name of an original without a light/dark variant suffix (``grid-l.webp#1.2`` -> ``grid.webp#1.2``)."""
    return re.sub(r"-(?:l|d|light|dark)(\.\w+#)", r"\1", name)


def variants(names: list[str], i: int, j: int) -> bool:
    """Whether originals ``i`` and ``j`` are the light and dark variants of one wallpaper, at the same tile."""
    return names[i] != names[j] and _design(names[i]) == _design(names[j])


def held_out(name: str) -> bool:
    """A third of the originals, by a hash of their name: never looked at when tuning."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 3 == 0


# ---------------------------------------------------------------------------------------------------- transforms

_COLOURS = ((0, 0, 0), (255, 255, 255), (128, 128, 128), (30, 60, 200), (240, 200, 40))


def _canvas(size: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", size, colour)


def crop_centre(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    w, h = im.size
    dx, dy = round(w * s / 2), round(h * s / 2)
    return im.crop((dx, dy, w - dx, h - dy))


def crop_offcentre(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    w, h = im.size
    kw, kh = round(w * (1 - s)), round(h * (1 - s))
    x, y = rng.choice((0, w - kw)), rng.choice((0, h - kh))
    return im.crop((x, y, x + kw, y + kh))


def crop_aspect(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    w, h = im.size
    if rng.random() < 0.5:
        d = round(w * s / 2)
        return im.crop((d, 0, w - d, h))
    d = round(h * s / 2)
    return im.crop((0, d, w, h - d))


def pad(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    """Padding on one or two sides (s: added share of the side), in one of several colours."""
    w, h = im.size
    colour = rng.choice(_COLOURS)
    if rng.random() < 0.5:
        out = _canvas((w + round(w * s), h), colour)
        out.paste(im, (rng.choice((0, round(w * s), round(w * s / 2))), 0))
    else:
        out = _canvas((w, h + round(h * s)), colour)
        out.paste(im, (0, rng.choice((0, round(h * s), round(h * s / 2)))))
    return out


def frame(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    """A border all round (s: share added to each dimension) with a thin line of another colour inside."""
    w, h = im.size
    bw, bh = round(w * s / 2), round(h * s / 2)
    outer, inner = rng.sample(_COLOURS, 2)
    out = _canvas((w + 2 * bw, h + 2 * bh), outer)
    ImageDraw.Draw(out).rectangle((bw - 4, bh - 4, bw + w + 3, bh + h + 3), outline=inner, width=3)
    out.paste(im, (bw, bh))
    return out


def letterbox(im: Image.Image, ratio: float, rng: random.Random) -> Image.Image:
    """Fit into a black canvas of another aspect ratio (bars above and below, or at the sides)."""
    w, h = im.size
    if w / h < ratio:
        out = _canvas((round(h * ratio), h), (0, 0, 0))
        out.paste(im, ((out.width - w) // 2, 0))
    else:
        out = _canvas((w, round(w / ratio)), (0, 0, 0))
        out.paste(im, (0, (out.height - h) // 2))
    return out


def rotate(im: Image.Image, deg: float, rng: random.Random) -> Image.Image:
    return im.rotate(rng.choice((-1, 1)) * deg, resample=Image.Resampling.BILINEAR)


def rotate_crop(im: Image.Image, deg: float, rng: random.Random) -> Image.Image:
    """Rotated, then cropped to the largest centred box free of the corners."""
    w, h = im.size
    out = im.rotate(rng.choice((-1, 1)) * deg, resample=Image.Resampling.BILINEAR)
    a = math.radians(deg)
    k = 1 / (math.cos(a) + math.sin(a) * max(w / h, h / w))
    return crop_centre(out, 1 - k, rng)


def text_overlay(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    """A caption band covering share s of the picture, with invented text."""
    out = im.copy()
    w, h = out.size
    bh = round(h * s)
    y = rng.choice((0, h - bh))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, y, w, y + bh), fill=rng.choice(_COLOURS))
    for i in range(max(1, bh // 14)):
        draw.text((8, y + 2 + 14 * i), "zorblax quimbly frandle " * 4, fill=(255, 0, 0))
    return out


def logo_overlay(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    """A logo (shapes in a box) covering share s of the picture, in a corner or the middle."""
    out = im.copy()
    w, h = out.size
    side = math.sqrt(s * w * h)
    lw, lh = min(w, round(side * 1.3)), min(h, round(side / 1.3))
    x, y = rng.choice(((0, 0), (w - lw, 0), (0, h - lh), (w - lw, h - lh), ((w - lw) // 2, (h - lh) // 2)))
    draw = ImageDraw.Draw(out)
    draw.rectangle((x, y, x + lw, y + lh), fill=rng.choice(_COLOURS))
    draw.ellipse((x + lw // 8, y + lh // 8, x + lw // 2, y + 7 * lh // 8), fill=(200, 30, 30))
    draw.text((x + lw // 2, y + lh // 2), "ZORBLAX", fill=(255, 255, 255))
    return out


def screenshot(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    """The picture at share s of a larger window: a plain canvas, a title bar, some invented text lines."""
    w, h = im.size
    cw, ch = round(w / s), round(h / s)
    out = _canvas((cw, ch), rng.choice(((240, 240, 240), (32, 32, 36), (255, 255, 255))))
    draw = ImageDraw.Draw(out)
    bar = max(12, ch // 20)
    draw.rectangle((0, 0, cw, bar), fill=(60, 90, 160))
    draw.text((10, bar // 4), "zorblax viewer", fill=(255, 255, 255))
    x = rng.randint(0, cw - w)
    y = rng.randint(bar + 2, max(bar + 2, ch - h))
    out.paste(im, (x, y))
    return out


def mirror(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(im)


def rot90(im: Image.Image, turns: float, rng: random.Random) -> Image.Image:
    return im.rotate(90 * int(turns), expand=True)


def stretch(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    w, h = im.size
    return im.resize((round(w * s), h), Image.Resampling.BILINEAR)


def colour(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    out = ImageEnhance.Color(im).enhance(s)
    r, g, b = out.split()
    return Image.merge("RGB", (b, g, r)) if s > 1 else out


def gamma(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    lut = [round(255 * (i / 255) ** s) for i in range(256)] * 3
    return im.point(lut)


def jpeg(im: Image.Image, q: float, rng: random.Random) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=int(q))
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def downscale(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    w, h = im.size
    return im.resize((max(8, round(w * s)), max(8, round(h * s))), Image.Resampling.BILINEAR)


def blur(im: Image.Image, r: float, rng: random.Random) -> Image.Image:
    return im.filter(ImageFilter.GaussianBlur(r))


def noise(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    arr = np.asarray(im, dtype=np.float64)
    noisy = arr + np.random.default_rng(rng.randint(0, 2**31)).normal(0, s, arr.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def crop_jpeg(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return jpeg(crop_offcentre(im, s, rng), 40, rng)


def pad_colour(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return pad(colour(im, 0.6, rng), s, rng)


def mirror_crop(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return crop_centre(ImageOps.mirror(im), s, rng)


def rotate_pad(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return pad(rotate(im, s, rng), 0.2, rng)


def crop_text_jpeg(im: Image.Image, s: float, rng: random.Random) -> Image.Image:
    return jpeg(text_overlay(crop_centre(im, s, rng), 0.1, rng), 50, rng)


@dataclass(frozen=True)
class Family:
    name: str
    fn: Transform
    strengths: tuple[float, ...]
    quick: tuple[float, ...]


FAMILIES = (
    Family("crop_centre", crop_centre, (0.05, 0.1, 0.15, 0.25), (0.1, 0.25)),
    Family("crop_offcentre", crop_offcentre, (0.05, 0.1, 0.15, 0.25), (0.1, 0.25)),
    Family("crop_aspect", crop_aspect, (0.1, 0.25), (0.25,)),
    Family("pad", pad, (0.1, 0.25, 0.5), (0.25, 0.5)),
    Family("frame", frame, (0.1, 0.25, 0.5), (0.25,)),
    Family("letterbox", letterbox, (16 / 9, 1.0, 9 / 16), (1.0,)),
    Family("rotate", rotate, (1, 3, 5, 10, 15), (3, 5, 10)),
    Family("rotate_crop", rotate_crop, (1, 3, 5, 10), (5,)),
    Family("text_overlay", text_overlay, (0.05, 0.1, 0.2), (0.1, 0.2)),
    Family("logo_overlay", logo_overlay, (0.05, 0.1, 0.2, 0.25), (0.1, 0.2)),
    Family("screenshot", screenshot, (0.8, 0.6, 0.5, 0.4), (0.6, 0.4)),
    Family("mirror", mirror, (1,), (1,)),
    Family("rot90", rot90, (1, 2, 3), (1,)),
    Family("stretch", stretch, (0.8, 1.25, 1.5), (1.5,)),
    Family("colour", colour, (0.3, 1.6), (1.6,)),
    Family("gamma", gamma, (0.6, 1.6), (0.6,)),
    Family("jpeg", jpeg, (30, 10), (10,)),
    Family("downscale", downscale, (0.5, 0.25), (0.25,)),
    Family("blur", blur, (1.5, 3.0), (3.0,)),
    Family("noise", noise, (10, 25), (25,)),
    Family("crop_jpeg", crop_jpeg, (0.1, 0.2), (0.1,)),
    Family("pad_colour", pad_colour, (0.25, 0.5), (0.25,)),
    Family("mirror_crop", mirror_crop, (0.1, 0.2), (0.1,)),
    Family("rotate_pad", rotate_pad, (3, 5), (5,)),
    Family("crop_text_jpeg", crop_text_jpeg, (0.1, 0.2), (0.1,)),
)


# ---------------------------------------------------------------------------------------------------- hard negatives


def _stars(rng: np.random.Generator, n: int) -> Image.Image:
    arr = np.zeros((n, n), np.float32)
    k = int(rng.integers(150, 900))
    ys, xs = rng.integers(0, n, k), rng.integers(0, n, k)
    arr[ys, xs] = rng.uniform(80, 255, k)
    for _ in range(int(rng.integers(3, 12))):
        y, x, r = int(rng.integers(0, n)), int(rng.integers(0, n)), int(rng.integers(2, 5))
        arr[max(0, y - r) : y + r, max(0, x - r) : x + r] = 255
    im = Image.fromarray(arr.astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    return im.convert("RGB")


def _solar(rng: np.random.Generator, n: int) -> Image.Image:
    cols, rows = int(rng.integers(6, 11)), int(rng.integers(4, 8))
    im = Image.new("RGB", (n, n), (20, 24, 40))
    draw = ImageDraw.Draw(im)
    cw, ch = n / cols, n / rows
    base = rng.uniform(30, 70)
    for r in range(rows):
        for c in range(cols):
            v = base + rng.normal(0, 8) + (40 if rng.random() < 0.05 else 0)
            draw.rectangle(
                (c * cw + 2, r * ch + 2, (c + 1) * cw - 2, (r + 1) * ch - 2),
                fill=(int(v * 0.6), int(v * 0.8), int(v * 2)),
            )
            for k in range(1, 3):
                x = c * cw + k * cw / 3
                draw.line((x, r * ch + 2, x, (r + 1) * ch - 2), fill=(170, 170, 180), width=1)
    grad = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.0, 1.3), n, dtype=np.float32)[None, :, None]
    arr = np.clip(np.asarray(im, np.float32) * grad + rng.normal(0, 3, (n, n, 3)), 0, 255)
    return Image.fromarray(arr.astype(np.uint8))


def _frame(video: int, t: int, n: int) -> Image.Image:
    """Frame t of synthetic video ``video``: a fixed textured background, large shapes moving across it."""
    vr = np.random.default_rng(video)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    bg = 90 + 40 * np.sin(xx / vr.uniform(20, 60)) * np.cos(yy / vr.uniform(20, 60))
    im = Image.fromarray(np.stack([bg, bg * 0.8, bg * 1.1], -1).clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for k in range(3):
        speed = vr.uniform(12, 30) * (1 if k % 2 else -1)
        x = (vr.uniform(0, n) + speed * t) % (n * 1.2) - 0.2 * n
        y = vr.uniform(0.1, 0.7) * n
        size = vr.uniform(0.25, 0.4) * n
        colour = tuple(int(v) for v in vr.integers(0, 255, 3))
        (draw.ellipse if k % 2 else draw.rectangle)((x, y, x + size, y + size * 0.8), fill=colour)
    return im


def _clipart(rng: np.random.Generator, n: int) -> Image.Image:
    bg = tuple(int(v) for v in rng.choice([[255, 255, 255], [0, 0, 0], [240, 240, 230], [20, 90, 200]]))
    im = Image.new("RGB", (n, n), bg)
    draw = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = rng.uniform(0.2, 0.6, 2) * n
        x1, y1 = x0 + rng.uniform(0.1, 0.3) * n, y0 + rng.uniform(0.1, 0.3) * n
        fill = tuple(int(v) for v in rng.integers(0, 255, 3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        else:
            draw.polygon([(x0, y1), ((x0 + x1) / 2, y0), (x1, y1)], fill=fill)
    return im


def _flat(rng: np.random.Generator, n: int) -> Image.Image:
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return Image.new("RGB", (n, n), tuple(int(v) for v in rng.integers(0, 255, 3)))
    if kind == 1:
        g = np.linspace(rng.uniform(0, 128), rng.uniform(128, 255), n, dtype=np.float32)
        arr = np.broadcast_to(g[None, :, None] if rng.random() < 0.5 else g[:, None, None], (n, n, 3))
        return Image.fromarray(arr.astype(np.uint8))
    small = rng.integers(0, 255, (8, 8, 3)).astype(np.uint8)
    im = Image.fromarray(small).resize((n, n), Image.Resampling.NEAREST)
    return jpeg(im, 8, random.Random(int(rng.integers(0, 2**31))))


NEGATIVE_KINDS = ("stars", "solar", "video frames", "clip-art", "flat/low quality")


def hard_negatives(count: int, seed: int) -> Iterator[tuple[str, Image.Image]]:
    """``count`` generated near-identical different pictures, an equal share of each kind."""
    rng = np.random.default_rng(seed)
    per = count // len(NEGATIVE_KINDS)
    for _ in range(per):
        yield "stars", _stars(rng, 320)
    for _ in range(per):
        yield "solar", _solar(rng, 320)
    for i in range(per):  # every video gives 20 frames a second apart
        yield "video frames", _frame(seed * 100_000 + i // 20, i % 20, 320)
    for _ in range(per):
        yield "clip-art", _clipart(rng, 320)
    for _ in range(count - 4 * per):
        yield "flat/low quality", _flat(rng, 320)


# ---------------------------------------------------------------------------------------------------- matching


def encode(im: Image.Image, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def reference_pdq(data: bytes) -> tuple[int, int]:
    """Meta's reference: Pillow decode, pdqhash; the hash as an int and its quality."""
    import pdqhash

    with Image.open(io.BytesIO(data)) as im:
        arr = np.asarray(im.convert("RGB"))
    bits, quality = pdqhash.compute(arr)
    return int("".join(str(int(b)) for b in bits), 2), int(quality)


@dataclass
class Listed:
    """The listed images: pdq, pdqr (several per image) and reference hashes, indexed."""

    labels: list[str] = field(default_factory=list)
    pdq: list[str] = field(default_factory=list)
    ref: list[int] = field(default_factory=list)
    region_values: list[str] = field(default_factory=list)
    region_owner: list[int] = field(default_factory=list)
    pdq_index: SegmentedIndex | None = None
    region_index: SegmentedIndex | None = None
    ref_bits: np.ndarray | None = None

    def add(self, label: str, data: bytes) -> None:
        media = hash_media(data, ("pdq", "pdqr"))
        if (media.pdq_quality or 0) < 50:
            return
        owner = len(self.labels)
        self.labels.append(label)
        self.pdq.append(media.hashes["pdq"])
        self.ref.append(reference_pdq(data)[0])
        for value in media.pdqr_values:
            self.region_values.append(value)
            self.region_owner.append(owner)

    def build(self) -> None:
        pdq_cls, pdqr_cls = index_class("pdq"), index_class("pdqr")
        assert pdq_cls is not None
        assert pdqr_cls is not None
        self.pdq_index = pdq_cls.from_arrays(pdq_cls().encode(self.pdq), list(range(len(self.pdq))))
        self.region_index = pdqr_cls.from_arrays(
            pdqr_cls().encode(self.region_values), list(range(len(self.region_values)))
        )
        self.ref_bits = np.array([[(v >> (255 - i)) & 1 for i in range(256)] for v in self.ref], np.uint8)


@dataclass
class Outcome:
    ref: set[int]
    today: set[int]
    new: set[int]
    hits: list[Hit]  # raw region hits (wide radius) for the distance study
    trimmed: bool
    evidence: dict[int, str]
    quality: int = 0  # the query's PDQ quality
    dihedral: tuple[str, ...] = ()  # the query's 8 PDQ dihedral forms


def match(listed: Listed, data: bytes, wide: int) -> Outcome:
    assert listed.pdq_index is not None
    assert listed.region_index is not None
    assert listed.ref_bits is not None
    ref_value, ref_quality = reference_pdq(data)
    ref: set[int] = set()
    if ref_quality >= 50:
        q = np.array([(ref_value >> (255 - i)) & 1 for i in range(256)], np.uint8)
        ref = {int(i) for i in np.flatnonzero((listed.ref_bits != q).sum(axis=1) <= PDQ_T)}
    media = hash_media(data, ("pdq", "pdqr"), dihedral=True, probes=True)
    # As `match --dihedral` and the hub's file lookup: the query is not gated on quality (the listed side is).
    today = {m.id for m in listed.pdq_index.query_any(media.pdq_dihedral or [], PDQ_T)}
    probes = media.probes or []
    found = listed.region_index.query_batch([p.value for p in probes], wide) if probes else []
    hits = [
        Hit(listed.region_owner[m.id], p.region, m.distance, p.source, p.aligned, p.quality)
        for p, ms in zip(probes, found, strict=True)
        for m in ms
    ]
    trimmed = media.regions.trimmed if media.regions is not None else False
    limit = probe_limit(DEFAULT_THRESHOLDS)
    evidence = decide([h for h in hits if h.distance <= limit], trimmed)
    new = today | {int(str(e.label)) for e in evidence}
    explained = {int(str(e.label)): e.describe() for e in evidence}
    quality = media.pdq_quality or 0
    return Outcome(ref, today, new, hits, trimmed, explained, quality, tuple(media.pdq_dihedral or ()))


#: The families (and strengths) PDQ survives by design: the misses ``--why`` explains.
EASY = {"jpeg": (30, 10), "noise": (10, 25), "blur": (1.5,), "downscale": (0.5, 0.25), "gamma": (1.6, 0.6)}
EASY_ALL = ("mirror", "colour", "stretch")


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def drift(im: Image.Image, listed_value: str) -> int:
    """How far an original's listed hash (its JPEG at quality 95) moves with no edit: the larger of the distances
    to its JPEG at quality 92 and to a copy one pixel narrower (content uniform along one axis, such as stripes, has
    next to no energy in the coefficients PDQ keeps: its bits are noise, whatever its PDQ quality)."""
    again = hash_media(encode(im), ("pdq",)).hashes["pdq"]
    narrower = hash_media(encode(im.crop((1, 0, im.width, im.height))), ("pdq",)).hashes["pdq"]
    return max(_distance(again, listed_value), _distance(narrower, listed_value))


def why(out: Outcome, listed_value: str, unstable: bool) -> str:
    """The cause of a recall miss of an easy edit (see ``--why``)."""
    d = min((_distance(v, listed_value) for v in out.dihedral), default=256)
    if unstable:
        return "original unstable (moves > 31 unedited)"
    if out.quality < 50:
        return "query quality < 50, whole <= 31" if d <= PDQ_T else "query quality < 50, whole > 31"
    near = "probes near, not enough" if out.hits else "no probe near"
    return f"whole 32-40, {near}" if d <= 40 else f"whole > 40, {near}"


def cost(listed: Listed, samples: list[bytes], rounds: int) -> dict[str, float]:
    """Per image CPU ms of ``match --dihedral``'s work (decode, pdq + variants, digests, queries) and of the new
    path (the same plus region probes, their queries and the evidence rule), interleaved per image; medians."""
    assert listed.pdq_index is not None
    assert listed.region_index is not None
    today: list[float] = []
    new: list[float] = []
    clock = time.process_time  # CPU time of this process: the shared machine's load does not count
    for _ in range(rounds):
        for data in samples:
            t0 = clock()
            m = hash_media(data, ("pdq", "md5", "sha1", "sha256"), dihedral=True)
            listed.pdq_index.query_any(m.pdq_dihedral or [], PDQ_T)
            t1 = clock()
            m = hash_media(data, ("pdq", "pdqr", "md5", "sha1", "sha256"), dihedral=True, probes=True)
            listed.pdq_index.query_any(m.pdq_dihedral or [], PDQ_T)
            probes = m.probes or []
            hits = listed.region_index.query_batch([p.value for p in probes], probe_limit(DEFAULT_THRESHOLDS))
            decide(
                [
                    Hit(listed.region_owner[x.id], p.region, x.distance, p.source, p.aligned, p.quality)
                    for p, xs in zip(probes, hits, strict=True)
                    for x in xs
                ],
                False,
            )
            t2 = clock()
            today.append(t1 - t0)
            new.append(t2 - t1)
    return {"today_ms": 1000 * statistics.median(today), "new_ms": 1000 * statistics.median(new)}


def large_samples(count: int) -> list[bytes]:
    """Photos at their usual upload size: source pictures at up to 1920 px, cropped 10%, JPEG quality 90."""
    out: list[bytes] = []
    for path in _source_files()[::7]:
        try:
            with Image.open(path) as im:
                im.draft("RGB", (1920, 1920))
                image = im.convert("RGB")
        except (OSError, ValueError):
            continue
        image.thumbnail((1920, 1920))
        if min(image.size) >= 600:
            out.append(encode(crop_centre(image, 0.1, random.Random(0)), 90))
        if len(out) >= count:
            break
    return out


def index_bytes_at_scale(values_per_image: float, entries: int = 100_000) -> dict[str, float]:
    """Saved-index bytes per entry at ``entries`` entries (fixed file overheads amortised): today's entry (pdq, md5,
    sha1, sha256) and with ``values_per_image`` pdqr values (the run's mean), random values of each type."""
    import tempfile

    from sharedhash.index import make_index

    rng = random.Random(15)
    per: dict[str, float] = {}
    n_regions = round(values_per_image * entries)
    with tempfile.TemporaryDirectory() as tmp:
        for name, count, bits in (
            ("pdq", entries, 256),
            ("pdqr", n_regions, 256),
            ("md5", entries, 128),
            ("sha1", entries, 160),
            ("sha256", entries, 256),
        ):
            values = [f"{rng.getrandbits(bits):0{bits // 4}x}" for _ in range(count)]
            index = make_index(name)
            index.add(values, list(range(count)))
            path = Path(tmp) / f"{name}.shidx"
            index.save(path)
            per[name] = path.stat().st_size / entries
    today = per["pdq"] + per["md5"] + per["sha1"] + per["sha256"]
    return {"today": today, "new": today + per["pdqr"], "pdqr_values_per_image": values_per_image}


# ---------------------------------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> dict[str, Any]:
    console = Console(stderr=True)
    t_start = time.perf_counter()
    originals = collect_originals(None)
    listed = Listed()
    names: list[str] = []
    encoded: dict[str, bytes] = {}
    for name, im in originals:
        if args.originals and len(names) >= args.originals:
            break
        data = encode(im, 95)
        before = len(listed.labels)
        listed.add(name, data)
        if len(listed.labels) > before:
            names.append(name)
            encoded[name] = data
    n_orig = len(names)
    for i, (kind, im) in enumerate(hard_negatives(args.negatives // 2, seed=1)):
        listed.add(f"neg:{kind}:{i}", encode(im))
    listed.build()
    console.print(
        f"{n_orig} originals, {len(listed.labels) - n_orig} listed negatives, {time.perf_counter() - t_start:.0f} s"
    )
    wide = 64 if args.distances else probe_limit(DEFAULT_THRESHOLDS)
    images = dict(originals)
    rows: dict[tuple[str, float, bool], dict[str, int]] = {}
    study: dict[str, dict[str, list[int]]] = {}
    examples: dict[str, str] = {}
    wrong = {"ref": 0, "today": 0, "new": 0}
    wrong_related = {"ref": 0, "today": 0, "new": 0}
    wrong_variants = {"ref": 0, "today": 0, "new": 0}
    refs = listed.ref[:n_orig]
    causes: dict[str, dict[str, int]] = {}
    unstable: dict[str, bool] = {}

    def unrelated(i: int, got: set[int]) -> tuple[int, int, int]:
        """(false positives, related matches, false positives that are light/dark variants) among ``got`` for a
        query of original ``i``."""
        others = [j for j in got if j != i]
        near = [j for j in others if j < n_orig and related(names, refs, i, j)]
        false = [j for j in others if j not in near]
        return len(false), len(near), sum(1 for j in false if j < n_orig and variants(names, i, j))

    shard, shards = args.shard
    for oi, name in enumerate(names):
        if oi % shards != shard:
            continue
        rng = random.Random(name)
        for fam in FAMILIES:
            if args.quick:
                strengths = fam.quick
            elif args.every_strength:
                strengths = fam.strengths
            else:  # one strength per original and family, in turn: every strength on ~1/k of the originals
                strengths = (fam.strengths[oi % len(fam.strengths)],)
            for s in strengths:
                query = fam.fn(images[name], s, rng)
                data = encode(query) if query.mode == "RGB" else encode(query.convert("RGB"))
                try:
                    out = match(listed, data, wide)
                except Exception as exc:  # an image too small after a transform: counted as missed
                    console.print(f"{name} {fam.name} {s}: {type(exc).__name__}")
                    out = Outcome(set(), set(), set(), [], False, {})
                ho = held_out(name) or fam.name in HELD_FAMILIES
                row = rows.setdefault((fam.name, s, ho), {"n": 0, "ref": 0, "today": 0, "new": 0})
                row["n"] += 1
                for path in ("ref", "today", "new"):
                    got: set[int] = getattr(out, path)
                    row[path] += oi in got
                    false, near, variant = unrelated(oi, got)
                    wrong[path] += false
                    wrong_related[path] += near
                    wrong_variants[path] += variant
                if oi in out.evidence and oi not in out.today and fam.name not in examples:
                    examples[fam.name] = out.evidence[oi]
                if args.distances and not ho:
                    _study(study, out.hits, oi)
                easy = fam.name in EASY_ALL or s in EASY.get(fam.name, ())
                if args.why and not ho and easy and oi not in out.new:
                    if name not in unstable:
                        unstable[name] = drift(images[name], listed.pdq[oi]) > PDQ_T
                    cause = causes.setdefault(f"{fam.name} {s:g}", {})
                    key = why(out, listed.pdq[oi], unstable[name])
                    cause[key] = cause.get(key, 0) + 1
        if oi % 20 == shard:
            console.print(f"{oi + 1}/{n_orig} originals, {time.perf_counter() - t_start:.0f} s")
    negatives = {"ref": 0, "today": 0, "new": 0}
    by_kind: dict[str, int] = {}
    n_neg = 0
    for k, (kind, im) in enumerate(hard_negatives(args.negatives, seed=2)):
        if k % shards != shard:
            continue
        out = match(listed, encode(im), wide)
        n_neg += 1
        for path in ("ref", "today", "new"):
            negatives[path] += len(getattr(out, path))
        by_kind[kind] = by_kind.get(kind, 0) + len(out.new)
        if args.distances:
            _study(study, out.hits, -1)
    cross = {"ref": 0, "today": 0, "new": 0}
    cross_related = {"ref": 0, "today": 0, "new": 0}
    cross_variants = {"ref": 0, "today": 0, "new": 0}
    for oi, name in enumerate(names):
        if oi % shards != shard:
            continue
        out = match(listed, encoded[name], wide)
        for path in ("ref", "today", "new"):
            false, near, variant = unrelated(oi, getattr(out, path))
            cross[path] += false
            cross_related[path] += near
            cross_variants[path] += variant
    timing: dict[str, float] = {}
    if shard == 0:
        samples = [encode(crop_centre(images[n], 0.1, random.Random(n))) for n in names[: args.cost_images]]
        timing = cost(listed, samples, 3)
        timing.update({f"large_{k}": v for k, v in cost(listed, large_samples(args.cost_images), 2).items()})
    return {
        "originals": n_orig,
        "negatives_queried": n_neg,
        "rows": [
            {"family": f, "strength": s, "held_out": ho, **v} for (f, s, ho), v in sorted(rows.items(), key=_order)
        ],
        "wrong_original": wrong,
        "wrong_original_related": wrong_related,
        "wrong_original_variants": wrong_variants,
        "negatives_fp": negatives,
        "negatives_fp_new_by_kind": by_kind,
        "cross_pairs_fp": cross,
        "cross_pairs_related": cross_related,
        "cross_pairs_variants": cross_variants,
        "cost": timing,
        "index_bytes": index_bytes_at_scale(len(listed.region_values) / len(listed.labels), 20_000),
        "examples": examples,
        "study": study,
        "why": causes,
        "why_unstable": sorted(n for n, u in unstable.items() if u),
        "seconds": time.perf_counter() - t_start,
        "thresholds": DEFAULT_THRESHOLDS.__dict__
        if hasattr(DEFAULT_THRESHOLDS, "__dict__")
        else str(DEFAULT_THRESHOLDS),
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from the shards of a run (``--shard i/n``): counts added up, timing and sizes from shard 0."""
    first = next(p for p in parts if p["cost"])
    rows: dict[tuple[str, float, bool], dict[str, Any]] = {}
    for part in parts:
        for r in part["rows"]:
            key = (r["family"], r["strength"], r["held_out"])
            row = rows.setdefault(key, {**r, "n": 0, "ref": 0, "today": 0, "new": 0})
            for k in ("n", "ref", "today", "new"):
                row[k] += r[k]
    out = {
        **first,
        "rows": sorted(rows.values(), key=lambda r: _order(((r["family"], r["strength"], r["held_out"]), r))),
    }
    for field_name in (
        "wrong_original",
        "wrong_original_related",
        "wrong_original_variants",
        "negatives_fp",
        "cross_pairs_fp",
        "cross_pairs_related",
        "cross_pairs_variants",
        "negatives_fp_new_by_kind",
    ):
        total: dict[str, int] = {}
        for part in parts:
            for k, v in part.get(field_name, {}).items():
                total[k] = total.get(k, 0) + v
        out[field_name] = total
    out["negatives_queried"] = sum(p["negatives_queried"] for p in parts)
    out["seconds"] = max(p["seconds"] for p in parts)
    study: dict[str, dict[str, list[int]]] = {}
    examples: dict[str, str] = {}
    for part in parts:
        examples = {**part["examples"], **examples}
        for kind, d in part["study"].items():
            into = study.setdefault(kind, {"true": [], "false": []})
            into["true"] += d["true"]
            into["false"] += d["false"]
    out["study"], out["examples"] = study, examples
    causes: dict[str, dict[str, int]] = {}
    for part in parts:
        for row, counts in part.get("why", {}).items():
            tally = causes.setdefault(row, {})
            for k, v in counts.items():
                tally[k] = tally.get(k, 0) + v
    out["why"] = causes
    out["why_unstable"] = sorted({n for p in parts for n in p.get("why_unstable", [])})
    return out


def _order(item: tuple[tuple[str, float, bool], dict[str, int]]) -> tuple[int, float, bool]:
    (f, s, ho), _ = item
    return [x.name for x in FAMILIES].index(f), s, ho


def _study(study: dict[str, dict[str, list[int]]], hits: list[Hit], truth: int) -> None:
    """Per evidence kind, the best distance of the true pair and of each false listed image."""
    best: dict[tuple[str, int], int] = {}
    second: dict[int, list[int]] = {}
    for h in hits:
        kind = "whole" if h.aligned and h.region == 0 else "aligned" if h.aligned else "crop"
        key = (kind, int(str(h.label)))
        best[key] = min(best.get(key, 999), h.distance)
        if h.aligned:
            second.setdefault(int(str(h.label)), []).append(h.distance)
    for (kind, label), d in best.items():
        study.setdefault(kind, {"true": [], "false": []})["true" if label == truth else "false"].append(d)
    for label, ds in second.items():  # the second-best aligned region: what the two-region rule sees
        if len(ds) >= 2:
            study.setdefault("2nd aligned", {"true": [], "false": []})["true" if label == truth else "false"].append(
                sorted(ds)[1]
            )


def _pct(xs: list[int], q: float) -> str:
    return str(xs[min(len(xs) - 1, int(q * len(xs)))]) if xs else "-"


def _family_means(rows: list[dict[str, Any]], path: str, held: bool) -> list[float]:
    fams: dict[str, list[int]] = {}
    for r in rows:
        if r["held_out"] == held:
            a = fams.setdefault(r["family"], [0, 0])
            a[0] += r[path]
            a[1] += r["n"]
    return [100 * a / b for a, b in fams.values() if b]


def markdown(result: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """The tables of ``result`` as Markdown (for docs/benchmarks.md); with ``previous`` (a run of an earlier matcher
    on the same data), its new path's recall as a "previous" column beside the new one."""
    paths = ("ref", "today", "previous", "new") if previous else ("ref", "today", "new")
    names = " | ".join({"ref": "reference", "today": "today", "previous": "previous", "new": "new"}[p] for p in paths)
    out = [
        f"| family | strength | tuned n | {names} | hold-out n | {names} |",
        "| --- | ---: | ---: | " + "---: | " * len(paths) + "---: | " + " | ".join(["---:"] * len(paths)) + " |",
    ]
    before = {(r["family"], r["strength"], r["held_out"]): r["new"] / r["n"] for r in (previous or {}).get("rows", [])}
    rows = [
        {**r, "previous": r["n"] * before.get((r["family"], r["strength"], r["held_out"]), math.nan)}
        for r in result["rows"]
    ]
    cells: dict[tuple[str, float], dict[bool, str]] = {}
    for r in rows:
        n = r["n"]
        shares = " | ".join(f"{100 * r[k] / n:.1f}" for k in paths)
        cells.setdefault((r["family"], r["strength"]), {})[r["held_out"]] = f"{n} | {shares}"
    for (family, strength), parts in cells.items():
        empty = "0 | " + " | ".join(["-"] * len(paths))
        out.append(f"| {family} | {strength:g} | {parts.get(False, empty)} | {parts.get(True, empty)} |")
    out += ["", f"| part | {names} |", "| --- | " + " | ".join(["---:"] * len(paths)) + " |"]
    for part, ho in (("tuned", False), ("hold-out", True)):
        means = [f"{statistics.mean(_family_means(rows, path, ho)):.1f}" for path in paths]
        out.append(f"| {part} (mean over families) | " + " | ".join(means) + " |")
    return "\n".join(out)


def report(result: dict[str, Any], as_json: bool, tuned_only: bool = False) -> None:
    if as_json:
        print(json.dumps(result))
        return
    console = Console()
    if tuned_only:  # hold-out rows are neither printed nor summed: what tuning may look at
        result = {**result, "rows": [r for r in result["rows"] if not r["held_out"]]}
    table = Table(title="recall per family and strength (%), reference pdqhash / today (match --dihedral) / new")
    for col in ("family", "strength", "part", "n", "reference", "today", "new"):
        table.add_column(col, justify="left" if col in ("family", "part") else "right")
    for r in result["rows"]:
        n = r["n"]
        table.add_row(
            r["family"],
            f"{r['strength']:g}",
            "hold-out" if r["held_out"] else "tuned",
            str(n),
            f"{100 * r['ref'] / n:.1f}",
            f"{100 * r['today'] / n:.1f}",
            f"{100 * r['new'] / n:.1f}",
        )
    console.print(table)
    summary = Table(title="mean recall over families (%)")
    for col in ("part", "reference", "today", "new"):
        summary.add_column(col, justify="left" if col == "part" else "right")
    for part, ho in (("tuned", False), ("hold-out", True)):
        if tuned_only and ho:
            continue
        per_family: dict[str, list[float]] = {}
        for path in ("ref", "today", "new"):
            fams: dict[str, list[int]] = {}
            for r in result["rows"]:
                if r["held_out"] == ho:
                    a = fams.setdefault(r["family"], [0, 0])
                    a[0] += r[path]
                    a[1] += r["n"]
            per_family[path] = [100 * a / b for a, b in fams.values() if b]
        summary.add_row(part, *(f"{statistics.mean(per_family[p]):.1f}" for p in ("ref", "today", "new")))
    console.print(summary)
    console.print(f"originals {result['originals']}, hard negatives queried {result['negatives_queried']}")
    for key in ("negatives_fp", "cross_pairs_fp", "wrong_original"):
        v = result[key]
        console.print(f"false positives, {key}: reference {v['ref']}, today {v['today']}, new {v['new']}")
    for key in ("cross_pairs_related", "wrong_original_related"):
        if result.get(key):
            v = result[key]
            console.print(f"related (same picture), {key}: reference {v['ref']}, today {v['today']}, new {v['new']}")
    for key in ("cross_pairs_variants", "wrong_original_variants"):
        if result.get(key):
            v = result[key]
            console.print(
                f"of the false positives, light/dark variants, {key}: reference {v['ref']}, today {v['today']}, "
                f"new {v['new']}"
            )
    console.print(f"new-path false positives on negatives by kind: {result['negatives_fp_new_by_kind']}")
    c = result["cost"]
    console.print(
        f"cost per query image (the bench's): match --dihedral {c['today_ms']:.1f} ms, new {c['new_ms']:.1f} ms "
        f"({c['new_ms'] / c['today_ms']:.2f}x)"
    )
    console.print(
        f"cost per 1-2 MP photo: match --dihedral {c['large_today_ms']:.1f} ms, new {c['large_new_ms']:.1f} ms "
        f"({c['large_new_ms'] / c['large_today_ms']:.2f}x)"
    )
    b = result["index_bytes"]
    console.print(
        f"index bytes per entry (saved index, 100,000 entries): today {b['today']:.0f} (pdq, md5, sha1, sha256), "
        f"new {b['new']:.0f} ({b['new'] / b['today']:.2f}x; "
        f"{b['pdqr_values_per_image']:.2f} pdqr values per image)"
    )
    for fam, text in result["examples"].items():
        console.print(f"example evidence, {fam}: {text}")
    for kind, d in result["study"].items():
        t, f = sorted(d["true"]), sorted(d["false"])
        console.print(
            f"distances {kind}: true n={len(t)} p10={_pct(t, 0.1)} p50={_pct(t, 0.5)} p90={_pct(t, 0.9)}; "
            f"false n={len(f)} min={f[0] if f else '-'} p01={_pct(f, 0.01)} p10={_pct(f, 0.1)}"
        )
    if result.get("why"):
        kinds = sorted({k for counts in result["why"].values() for k in counts})
        causes = Table(title="why easy edits were missed (tuned originals; misses per cause)")
        for col in ("edit", *kinds):
            causes.add_column(col, justify="left" if col == "edit" else "right")
        for row, counts in sorted(result["why"].items()):
            causes.add_row(row, *(str(counts.get(k, 0)) for k in kinds))
        console.print(causes)
        unstable = result.get("why_unstable", [])
        console.print(f"tuned originals whose hash moves > 31 with no edit ({len(unstable)}): {', '.join(unstable)}")
    console.print(f"{result['seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 originals, 1,000 negatives, fewer strengths")
    parser.add_argument("--originals", type=int, default=None, help="at most this many originals")
    parser.add_argument("--negatives", type=int, default=None, help="hard negatives queried (half as many listed)")
    parser.add_argument("--distances", action="store_true", help="print the distance study (tuned part)")
    parser.add_argument("--why", action="store_true", help="the causes of easy edits' misses (tuned part)")
    parser.add_argument("--cost-images", type=int, default=40, help="images timed for the cost ratio")
    parser.add_argument(
        "--every-strength", action="store_true", help="every strength on every original (default: each in turn)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--shard",
        default="0/1",
        help="i/n: this process's share of the originals and negatives (merge with --from-json)",
    )
    parser.add_argument(
        "--from-json", type=Path, nargs="+", help="print the tables of saved --json results (shards merged)"
    )
    parser.add_argument("--markdown", action="store_true", help="with --from-json: the recall tables as Markdown")
    parser.add_argument(
        "--previous",
        type=Path,
        nargs="+",
        help="with --markdown: saved --json results of an earlier matcher on the same data, shown as 'previous'",
    )
    parser.add_argument(
        "--tuned-only", action="store_true", help="print the tuned part only (hold-out rows and means hidden)"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        result = merge([json.loads(p.read_text()) for p in args.from_json])
        result["index_bytes"] = index_bytes_at_scale(result["index_bytes"]["pdqr_values_per_image"])
        if args.markdown and not args.tuned_only:
            previous = merge([json.loads(p.read_text()) for p in args.previous]) if args.previous else None
            print(markdown(result, previous))
        report(result, False, args.tuned_only)
        return 0
    i, n = (int(x) for x in args.shard.split("/"))
    args.shard = (i, n)
    if args.quick:
        args.originals = args.originals or 60
        args.negatives = args.negatives or 1000
    args.negatives = args.negatives or 5000
    report(run(args), args.json, args.tuned_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
