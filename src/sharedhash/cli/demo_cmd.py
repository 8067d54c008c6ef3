"""``sharedhash demo``: hash benign sample images the package generates, to show a working install."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.table import Table

from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.hashing import DEFAULT_TYPES, hash_media
from sharedhash.hashing.samples import write_sample_video, write_samples
from sharedhash.hashing.video import hash_video


def demo(as_json: bool = typer.Option(False, "--json", help="One JSON line per image.")) -> None:
    """Generate benign sample images and a sample video and print their hashes (PDQ with its quality, md5, sha1,
    sha256; the video's vPDQ frames)."""
    with handle_errors(as_json=as_json), tempfile.TemporaryDirectory(prefix="sharedhash-demo-") as tmp:
        table = Table(title="sharedhash demo: hashes of generated sample images")
        table.add_column("image")
        table.add_column("pdq quality", justify="right")
        for name in DEFAULT_TYPES:
            table.add_column(name)
        for path in write_samples(Path(tmp)):
            result = hash_media(path, DEFAULT_TYPES)
            if as_json:
                emit_json({"path": path.name, "hashes": result.hashes, "pdq_quality": result.pdq_quality})
            else:
                # Shown shortened, as everywhere in sharedhash's human output.
                table.add_row(
                    path.name,
                    str(result.pdq_quality),
                    *(result.hashes[n][:16] + "…" for n in DEFAULT_TYPES),
                )
        video = hash_video(write_sample_video(Path(tmp) / "sample-video.mp4"))
        if as_json:
            emit_json(
                {
                    "path": "sample-video.mp4",
                    "kind": "video",
                    "hashes": {"vpdq": video.vpdq.serialise(), **video.hashes},
                    "vpdq_frames": len(video.vpdq),
                }
            )
        else:
            console.print(table)
            frames = Table(title="sharedhash demo: vPDQ of a generated 4-second video (one frame per second)")
            for name in ("frame", "second", "quality", "pdq"):
                frames.add_column(name)
            for f in video.vpdq.frames:
                frames.add_row(str(f.frame_number), f"{f.timestamp:g}", str(f.quality), f.pdq[:16] + "…")
            console.print(frames)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root command."""
    app.command("demo")(demo)
