"""``sharedhash hash``: hash files and folders (recursively) on every core, one result per file.

Images get the image types (pdq with its quality), videos the video type (vpdq, see docs/video.md); both get the
cryptographic digests of the file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer

from sharedhash.cli.files import file_error_line, print_file_error, walk_files
from sharedhash.cli.output import EXIT_ERROR, console, emit_json, err_console, fail
from sharedhash.errors import FileAccessError, SharedhashError
from sharedhash.hashing.media import check_types, hash_media
from sharedhash.hashing.video import VideoHashes, hash_video, looks_like_video

VIDEO_TYPES = ("vpdq",)
_DIGESTS = ("md5", "sha1", "sha256")
#: What ``hash`` computes by default: image types for images, vpdq for videos, digests for both.
HASH_TYPES = ("pdq", "vpdq", "md5", "sha1", "sha256")
Job = tuple[str, tuple[str, ...], bool, bool, float | None]


def split_types(wanted: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The requested types an image gets, and those a video gets (digests go to both)."""
    image = tuple(t for t in wanted if t not in VIDEO_TYPES)
    video = tuple(t for t in wanted if t in VIDEO_TYPES or t in _DIGESTS)
    return image, video


def is_video(path: Path) -> bool:
    """Whether a file starts like a video container (read from its first bytes, not its name)."""
    try:
        with path.open("rb") as f:
            return looks_like_video(f.read(512))
    except OSError:
        return False


def video_line(path: str, result: VideoHashes) -> dict[str, Any]:
    """The result line of a video: vpdq (and digests) plus what was hashed."""
    return {
        "path": path,
        "kind": "video",
        "hashes": {"vpdq": result.vpdq.serialise(), **result.hashes},
        "vpdq_frames": len(result.vpdq),
        "frames": result.frames_total,
        "fps": round(result.info.fps, 6),
        "mode": result.mode,
    }


def _hash_one(job: Job, progress: Any = None) -> dict[str, Any]:
    """Hash one file in a worker; never raises, so one bad file cannot stop the run."""
    path, types, dihedral, fast, seconds_per_hash = job
    image_types, video_types = split_types(types)
    try:
        p = Path(path)
        if p.is_dir():
            raise FileAccessError(f"{path} cannot be listed")
        if "vpdq" in video_types and is_video(p):
            video = hash_video(
                p,
                seconds_per_hash=seconds_per_hash,
                fast=fast,
                digests=[t for t in video_types if t in _DIGESTS],
                progress=progress,
            )
            return {**video_line(path, video), "_decoded": video.frames_decoded}
        if not image_types:
            from sharedhash.hashing.errors import NotAVideoError

            raise NotAVideoError(f"{p.name} is not a video (only video types were requested)")
        result = hash_media(p, image_types, dihedral=dihedral, fast=fast)
    except SharedhashError as exc:
        return file_error_line(path, exc)
    except Exception as exc:  # a bug must cost one file, not the run; the message names the type only
        return {"path": path, "error": {"code": "internal_error", "message": f"unexpected {type(exc).__name__}"}}
    line: dict[str, Any] = {"path": path, "hashes": result.hashes}
    if result.pdq_quality is not None:
        line["pdq_quality"] = result.pdq_quality
    if result.pdq_dihedral is not None:
        line["pdq_dihedral"] = result.pdq_dihedral
    if result.regions is not None:
        # Every region value to contribute (an entry holds them all); hashes["pdqr"] is the first, the whole picture.
        line["pdqr"] = result.pdqr_values
        line["border_trimmed"] = result.regions.trimmed
    return line


def _results(jobs: list[Job], workers: int, progress: Any = None) -> Iterator[dict[str, Any]]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _hash_one(job, progress)
        return
    # Small chunks keep every core busy to the end (a 12 MP image costs ~65 ms, a pool round trip ~0.1 ms), so
    # chunks only grow for folders of thousands of files, where dispatch overhead would start to show.
    chunk = max(1, min(8, len(jobs) // (workers * 64)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_hash_one, jobs, chunksize=chunk)


def _human(line: dict[str, Any]) -> None:
    if "error" in line:
        print_file_error(line)
        return
    if line.get("kind") == "video":
        frames = line["vpdq_frames"]
        parts = [f"vpdq={frames} frames ({line['frames']} in the video, {line['fps']:g} fps)"]
        parts += [f"{n}={v}" for n, v in line["hashes"].items() if n != "vpdq"]
        console.print("  ".join(parts) + f"  {line['path']}", highlight=False, soft_wrap=True)
        return
    parts = [f"{name}={value}" for name, value in line["hashes"].items()]
    if "pdq_quality" in line:
        parts.insert(1 if "pdq" in line["hashes"] else 0, f"quality={line['pdq_quality']}")
    console.print("  ".join(parts) + f"  {line['path']}", highlight=False, soft_wrap=True)
    for i, value in enumerate(line.get("pdqr") or []):
        if i:
            console.print(f"  pdqr[{i}]={value}", highlight=False, soft_wrap=True)
    for i, variant in enumerate(line.get("pdq_dihedral") or []):
        if i:
            console.print(f"  pdq_dihedral[{i}]={variant}", highlight=False, soft_wrap=True)


def hash_files(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).", show_default=False)],
    types: str = typer.Option(
        ",".join(HASH_TYPES), "--types", "-t", help="Comma-separated hash types (images: pdq; videos: vpdq)."
    ),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also the 8 rotations/mirror images of the PDQ hash."),
    fast: bool = typer.Option(
        False,
        "--fast",
        help="Reduced-size JPEG decoding, keyframes-only video decoding: faster, some bits off. For scanning, "
        "not contributing.",
    ),
    seconds_per_hash: float | None = typer.Option(
        None, "--seconds-per-hash", min=0.0, help="vPDQ: one frame per this many seconds (default 1; 0: every frame)."
    ),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Processes to use (0: one per core)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per file."),
) -> None:
    """Hash files: images get pdq (with quality), videos vpdq; both md5, sha1, sha256. Exit code 1 if any failed."""
    try:
        wanted = tuple(dict.fromkeys(t.strip().lower() for t in types.split(",") if t.strip()))
        image_types, _ = split_types(wanted)
        if image_types or not wanted:
            check_types(list(image_types))
    except SharedhashError as exc:
        raise fail(exc, as_json=as_json) from None
    files = [str(p) for p in walk_files(paths)]
    jobs: list[Job] = [(f, wanted, dihedral, fast, seconds_per_hash) for f in files]
    n_workers = workers or os.cpu_count() or 1
    failed = 0
    if len(jobs) < 2 and not (jobs and is_video(Path(jobs[0][0]))):
        # One image: no bar, and no rich.progress import (~20 ms of start-up).
        for line in _results(jobs, n_workers):
            line.pop("_decoded", None)
            failed += _show(line, as_json)
        _finish(failed, len(jobs), as_json)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("hashing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} files/s"),
        TextColumn("{task.fields[frames]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    decoded = 0

    def frame_rate() -> str:
        elapsed = progress.tasks[0].elapsed or 0.0
        return f"{decoded / elapsed:,.0f} frames/s" if decoded and elapsed > 0 else ""

    def one_frame(n: int) -> None:  # a single video hashed in this process: progress per frame
        nonlocal decoded
        decoded += n
        if decoded % 25 == 0:
            progress.update(task, frames=frame_rate())

    with progress:
        task = progress.add_task("hash", total=len(jobs), rate="-", frames="")
        for line in _results(jobs, n_workers, one_frame):
            if "_decoded" in line:
                if n_workers > 1 and len(jobs) > 1:
                    decoded += line["_decoded"]
                del line["_decoded"]
            failed += _show(line, as_json)
            progress.advance(task)
            elapsed = progress.tasks[0].elapsed or 0.0
            done = progress.tasks[0].completed
            progress.update(task, rate=f"{done / elapsed:.1f}" if elapsed > 0 else "-", frames=frame_rate())
    _finish(failed, len(jobs), as_json)


def _show(line: dict[str, Any], as_json: bool) -> bool:
    """Print one file's result; True when it is an error."""
    if as_json:
        emit_json(line)
    else:
        _human(line)
    return "error" in line


def _finish(failed: int, total: int, as_json: bool) -> None:
    """Exit non-zero (after a summary line) when any file failed."""
    if failed:
        if not as_json:
            err_console.print(f"{failed} of {total} files failed", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_ERROR)


def register(app: typer.Typer) -> None:
    """Add ``hash`` to the root command."""
    app.command("hash")(hash_files)
