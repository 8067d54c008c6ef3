"""The cost of region matching (issue 15): ``sharedhash match --dihedral`` per image, with and without ``pdqr``.

The same CLI function (``sharedhash.cli.match_cmd._match_one``: read the file, decode once, hash, query, decide)
runs on the same image files against two listed sets of the same originals: *today* (pdq, md5, sha1, sha256: what
``match --dihedral`` does now) and *new* (the same plus the originals' ``pdqr`` region values, so the file is also
hashed for region probes and they are searched and decided on). Per image, the two runs are interleaved and timed
in CPU time of this process (the shared machine's load does not count); the table gives medians over images and
rounds, and the ratio new / today (the issue's budget: at most 2x).

Two kinds of query images: tiles of about 400 px (as bench/match_quality.py's queries) and photos at their usual
upload size (1-2 MP), both cropped 10% and saved as JPEG. Pictures come from the wallpapers of Debian packages
installed here (gnome-backgrounds, desktop-base, ...); with none installed, from generated samples (said so).

    python bench/region_cost.py                      # 40 tiles and 12 photos, 3 rounds: about a minute
    python bench/region_cost.py --tiles 80 --photos 24 --rounds 5 --listed 300
    python bench/region_cost.py --profile            # also a cProfile of the new path's tiles (top 25)
    git show 1a026e4:src/sharedhash/hashing/regions.py > /tmp/regions_before.py
    python bench/region_cost.py --before /tmp/regions_before.py   # and the older region code, in the same run
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType

from PIL import Image, ImageOps

from sharedhash.cli.match_cmd import _match_one
from sharedhash.hashing import hash_media, regions
from sharedhash.hashing.samples import SAMPLE_NAMES, make_sample
from sharedhash.index.hashfile import HashRecord
from sharedhash.index.indexset import IndexSet

SOURCES = (
    "/usr/share/backgrounds",
    "/usr/share/wallpapers",
    "/usr/share/desktop-base",
    "/usr/share/images/desktop-base",
    "/usr/share/xplanet/images",
)
TILE = 400
PHOTO_SIDE = 1920
#: A photo's pixels at most (before the 10% crop: 1.6 MP after it).
PHOTO_PIXELS = 2_000_000


def _pictures() -> Iterator[Image.Image]:
    """Installed wallpapers (RGB, at most PHOTO_SIDE), largest files first; generated samples when none."""
    files = sorted(
        (
            p
            for root in SOURCES
            for p in Path(root).rglob("*")
            if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp") and p.is_file() and p.stat().st_size > 50_000
        ),
        key=lambda p: (-p.stat().st_size, str(p)),
    )
    for path in files:
        try:
            with Image.open(path) as im:
                im.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))
                image = ImageOps.exif_transpose(im).convert("RGB")
        except (OSError, ValueError):
            continue
        image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
        if image.width * image.height > PHOTO_PIXELS:  # square wallpapers: an upload-sized photo, not 3.7 MP
            scale = (PHOTO_PIXELS / (image.width * image.height)) ** 0.5
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
        if min(image.size) >= 600:
            yield image
    if not files:
        print("no wallpapers installed: generated samples instead", file=sys.stderr)
        for seed in range(1000):
            yield make_sample(SAMPLE_NAMES[seed % len(SAMPLE_NAMES)], 1600, 1000, seed=seed)


def _crop10(image: Image.Image) -> Image.Image:
    w, h = image.size
    dx, dy = round(w * 0.05), round(h * 0.05)
    return image.crop((dx, dy, w - dx, h - dy))


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def originals(tiles: int, photos: int) -> tuple[list[Image.Image], list[Image.Image]]:
    """``tiles`` tiles of about TILE px (non-overlapping: different pictures) and ``photos`` photos (1-2 MP,
    at most PHOTO_SIDE px) of the same sources."""
    tile_list: list[Image.Image] = []
    photo_list: list[Image.Image] = []
    for image in _pictures():
        if len(photo_list) < photos and image.width * image.height >= 1_200_000:
            photo_list.append(image)
        small = image.copy()
        small.thumbnail((4 * TILE, 4 * TILE))
        for x in range(0, small.width - TILE + 1, TILE):
            for y in range(0, small.height - TILE + 1, TILE):
                if len(tile_list) < tiles:
                    tile_list.append(small.crop((x, y, x + TILE, y + TILE)))
        if len(tile_list) >= tiles and len(photo_list) >= photos:
            break
    return tile_list, photo_list


def listed_sets(listed: list[Image.Image]) -> tuple[IndexSet, IndexSet]:
    """Today's listed set (pdq and digests of each original) and the new one (the same plus its pdqr values)."""
    today: list[HashRecord] = []
    regions: list[HashRecord] = []
    for number, image in enumerate(listed):
        media = hash_media(_jpeg(image, 92), ("pdq", "pdqr", "md5", "sha1", "sha256"))
        label = f"original-{number}"
        for hash_type in ("pdq", "md5", "sha1", "sha256"):
            today.append(HashRecord(hash_type, media.hashes[hash_type], label, len(today) + 1))
        for value in media.pdqr_values:
            regions.append(HashRecord("pdqr", value, label, 0))
    new = today + [HashRecord(r.hash_type, r.value, r.id, len(today) + k + 1) for k, r in enumerate(regions)]
    return IndexSet.from_records(today), IndexSet.from_records(new)


@contextmanager
def _regions_code(module: ModuleType | None) -> Iterator[None]:
    """With ``module`` (an older regions.py), hash_media's region functions are that module's for the block."""
    if module is None:
        yield
        return
    saved = {name: getattr(regions, name) for name in _SWAPPED}
    for name in _SWAPPED:
        setattr(regions, name, getattr(module, name))
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(regions, name, value)


_SWAPPED = ("query_probes", "region_values")


def measure(
    files: list[Path], today: IndexSet, new: IndexSet, rounds: int, before: ModuleType | None
) -> dict[str, float]:
    """Median CPU ms per image of ``match --dihedral`` against each set (interleaved, the order turning each round),
    and how many matched; with ``before``, the new set once more with the older region code."""
    clock = time.process_time
    runs: list[tuple[str, IndexSet, ModuleType | None]] = [("today", today, None), ("new", new, None)]
    if before is not None:
        runs.append(("before", new, before))
    times: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    matched = dict.fromkeys(times, 0)
    for r in range(rounds):
        for path in files:
            for name, index_set, code in runs[r % len(runs) :] + runs[: r % len(runs)]:
                with _regions_code(code):
                    t0 = clock()
                    line = _match_one(path, index_set, 31, True)
                    elapsed = clock() - t0
                assert "error" not in line, line
                times[name].append(elapsed)
                if r == 0:
                    matched[name] += bool(line["matches"])
    out = {"images": float(len(files))}
    for name, values in times.items():
        out[f"{name}_ms"] = 1000 * statistics.median(values)
        out[f"{name}_ratio"] = statistics.median(values) / statistics.median(times["today"])
        out[f"{name}_ratio_of_totals"] = sum(values) / sum(times["today"])
        out[f"matched_{name}"] = matched[name]
    return out


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
        return out.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=int, default=40, help="~400 px query tiles")
    parser.add_argument("--photos", type=int, default=12, help="1-2 MP query photos")
    parser.add_argument("--listed", type=int, default=200, help="listed originals (the queries' own among them)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the new path on the tiles")
    parser.add_argument(
        "--before",
        type=Path,
        help="an older regions.py (git show COMMIT:src/sharedhash/hashing/regions.py > FILE): its cost in the same run",
    )
    args = parser.parse_args()
    before: ModuleType | None = None
    if args.before is not None:
        spec = spec_from_file_location("regions_before", args.before)
        assert spec is not None
        assert spec.loader is not None
        before = module_from_spec(spec)
        sys.modules["regions_before"] = before  # its dataclasses look their module up there
        spec.loader.exec_module(before)

    tiles, photos = originals(max(args.tiles, args.listed - args.photos), args.photos)
    listed = tiles[: max(0, args.listed - len(photos))] + photos
    today, new = listed_sets(listed)
    n_values = len(new.indexes["pdqr"]) if "pdqr" in new.indexes else 0
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        groups = {"tiles (~400 px)": tiles[: args.tiles], "photos (1-2 MP)": photos}
        files: dict[str, list[Path]] = {}
        for name, images in groups.items():
            files[name] = []
            for k, image in enumerate(images):
                path = Path(tmp) / f"{name[:5]}-{k}.jpg"
                path.write_bytes(_jpeg(_crop10(image)))
                files[name].append(path)
        for name, paths in files.items():
            results[name] = measure(paths, today, new, args.rounds, before)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for path in files["tiles (~400 px)"]:
                _match_one(path, new, 31, True)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    load = os.getloadavg()
    print(
        f"region_cost: commit {_commit()}, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {len(listed)} listed originals ({n_values} pdqr values); "
        f"region kernel {'compiled' if regions._core is not None else 'NOT compiled (numpy)'}; "
        f"{args.rounds} rounds, CPU time per image, medians"
    )
    print()
    columns = [("today", "`match --dihedral` today")]
    if before is not None:
        columns.append(("before", f"with `pdqr`, {args.before.name}"))
    columns.append(("new", "with `pdqr`, this commit"))
    head = " | ".join(f"{title} (ms) | ratio" for _, title in columns)
    print(f"| queries | n | {head} |")
    print("| --- | ---: |" + " ---: | ---: |" * len(columns))
    for name, r in results.items():
        cells = " | ".join(f"{r[f'{c}_ms']:.2f} | {r[f'{c}_ratio']:.2f}x" for c, _ in columns)
        print(f"| {name} | {r['images']:.0f} | {cells} |")
    print()
    print(
        "ratios of totals instead of medians: "
        + "; ".join(
            f"{name}: " + ", ".join(f"{c} {r[f'{c}_ratio_of_totals']:.2f}x" for c, _ in columns[1:])
            for name, r in results.items()
        )
    )
    print()
    for name, r in results.items():
        matched = ", ".join(f"{c} {r[f'matched_{c}']:.0f}" for c, _ in columns)
        print(f"{name}: matched (10% crops of listed originals): {matched}")


if __name__ == "__main__":
    main()
