"""``sharedhash match``: hash files and folders and report every known hash they match.

Videos are matched by vpdq against listed videos (the reference rule: query and listed percentages, the matching
seconds), by their frames against listed images (pdq), and by their digests; images also against listed videos'
frames."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sharedhash.cli.files import file_error_line, print_file_error, walk_files
from sharedhash.cli.hash_cmd import is_video
from sharedhash.cli.index_cmd import read_with_progress
from sharedhash.cli.output import EXIT_MATCHED, EXIT_NO_MATCH, EXIT_TROUBLE, console, emit_json, err_console, fail
from sharedhash.errors import FileAccessError, InvalidInputError, SharedhashError
from sharedhash.hashing.media import MEDIA_TYPES, hash_media
from sharedhash.hashing.video import FrameCallback, hash_video
from sharedhash.hashing.vpdq import MatchRule
from sharedhash.index.indexset import IndexSet
from sharedhash.index.regions import match_probes
from sharedhash.index.video import frames_against_images

_DIGESTS = ("md5", "sha1", "sha256")


def _match_video(
    path: Path, index_set: IndexSet, max_distance: int, fast: bool, progress: FrameCallback | None = None
) -> dict[str, Any]:
    digests = [t for t in _DIGESTS if t in index_set.indexes]
    video = hash_video(path, digests=digests, fast=fast, progress=progress)
    found: list[dict[str, Any]] = [m.to_dict() for m in index_set.match(video.hashes, 0)]
    if index_set.videos is not None:
        for hit in index_set.videos.query_video(video.vpdq):
            found.append({"hash_type": "vpdq", "id": index_set.labels[hit.id], **hit.result.to_dict()})
    pdq = index_set.indexes.get("pdq")
    if pdq is not None:
        rule = MatchRule(frame_distance=max_distance)
        for image in frames_against_images(video.vpdq, pdq, rule):
            found.append(
                {
                    "hash_type": "pdq",
                    "id": index_set.labels[image.id],
                    "distance": image.distance,
                    "query_seconds": [r.to_dict() for r in image.seconds],
                }
            )
    hashes = {"vpdq": video.vpdq.serialise(), **video.hashes}
    return {"path": str(path), "kind": "video", "hashes": hashes, "matches": found}


def _match_one(
    path: Path,
    index_set: IndexSet,
    max_distance: int,
    dihedral: bool,
    fast: bool = False,
    progress: FrameCallback | None = None,
) -> dict[str, Any]:
    types = [t for t in MEDIA_TYPES if t in index_set.indexes]
    try:
        if is_video(path) and (index_set.videos is not None or "pdq" in types or set(types) & set(_DIGESTS)):
            return _match_video(path, index_set, max_distance, fast, progress)
        if index_set.videos is not None and "pdq" not in types:
            types = ["pdq", *types]
        if not types:
            return {"path": str(path), "matches": []}
        media = hash_media(path, types, dihedral=dihedral and "pdq" in types, probes="pdqr" in types)
    except SharedhashError as exc:
        return file_error_line(path, exc)
    plain = {t: v for t, v in media.hashes.items() if t != "pdqr"}
    matches = index_set.match(plain, max_distance, pdq_variants=media.pdq_dihedral)
    found = [m.to_dict() for m in matches]
    regions = index_set.indexes.get("pdqr")
    if regions is not None and media.probes is not None and media.regions is not None:
        # Region evidence: copies PDQ misses (crops, borders, small turns, overlays), by the evidence rule.
        seen = {m["id"] for m in found}
        labels = index_set.labels
        for ev in match_probes(regions, media.probes, labels.__getitem__, trimmed=media.regions.trimmed):
            if ev.label not in seen:
                found.append({"hash_type": "pdqr", "id": ev.label, "distance": ev.distance, "evidence": ev.describe()})
    if index_set.videos is not None and "pdq" in media.hashes:
        # An image that is a frame of a listed video matches it, with the seconds where that frame is.
        for hit in index_set.videos.query_image(media.hashes["pdq"], max_distance):
            found.append(
                {
                    "hash_type": "vpdq",
                    "id": index_set.labels[hit.id],
                    "distance": hit.distance,
                    "listed_seconds": [r.to_dict() for r in hit.seconds],
                }
            )
    return {"path": str(path), "hashes": media.hashes, "matches": found}


def _describe(m: dict[str, Any]) -> str:
    if m["hash_type"] == "vpdq" and "listed_percent" in m:
        seconds = ", ".join(f"{r['start']:g}-{r['end']:g}s" for r in m["query_seconds"][:5])
        return (
            f"video id {m['id']} ({m['listed_percent']:.0f}% of its frames, {m['query_percent']:.0f}% of this "
            f"video's; here at {seconds})"
        )
    if "listed_seconds" in m:
        seconds = ", ".join(f"{r['start']:g}s" for r in m["listed_seconds"][:5])
        return f"a frame of video id {m['id']} at {seconds} (distance {m['distance']})"
    if "query_seconds" in m:
        seconds = ", ".join(f"{r['start']:g}-{r['end']:g}s" for r in m["query_seconds"][:5])
        return f"image id {m['id']} at {seconds} (distance {m['distance']})"
    if "evidence" in m:
        return f"{m['hash_type']} id {m['id']}: {m['evidence']}"
    return f"{m['hash_type']} id {m['id']} (distance {m['distance']})"


def _human(line: dict[str, Any]) -> None:
    if "error" in line:
        print_file_error(line)
    elif line["matches"]:
        found = "; ".join(_describe(m) for m in line["matches"])
        console.print(f"[bold]MATCH[/] {line['path']}: {found}", highlight=False, soft_wrap=True)
    else:
        console.print(f"no match {line['path']}", highlight=False, soft_wrap=True)


def match(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).", show_default=False)],
    hashes: Annotated[
        Path | None, typer.Option("--hashes", help="Known hashes: CSV or JSON lines, hash_type,value[,id].")
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help="A saved index folder (`sharedhash index build`).")
    ] = None,
    max_distance: int = typer.Option(31, "--max-distance", min=0, max=256, help="PDQ match distance."),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also match rotated and mirrored copies (PDQ)."),
    fast: bool = typer.Option(False, "--fast", help="Videos: keyframes-only decoding (faster, some bits off)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per input file."),
) -> None:
    """Hash each file and report every known hash it matches, with the distance. Exit 0 if a file matched, 1 if
    none did, 2 if a file (or the known hashes) could not be read (grep's convention)."""
    try:
        if (hashes is None) == (index is None):
            raise InvalidInputError("give exactly one of --hashes FILE or --index FOLDER")
        if index is not None:
            index_set = IndexSet.load(index)
        else:
            assert hashes is not None
            index_set = IndexSet.from_records(read_with_progress(hashes, as_json=as_json))
        files = list(walk_files(paths))
        if not files:
            raise FileAccessError("no files to match under the given paths")
    except SharedhashError as exc:
        raise fail(exc, as_json=as_json, code=EXIT_TROUBLE) from None
    failed = matched = 0
    progress = Progress(
        TextColumn("matching"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[frames]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=len(files) < 2 and not is_video(files[0]),
    )
    decoded = 0

    def one_frame(n: int) -> None:  # videos: decoded frames per second
        nonlocal decoded
        decoded += n
        elapsed = progress.tasks[0].elapsed or 0.0
        if decoded % 25 == 0 and elapsed > 0:
            progress.update(task, frames=f"{decoded / elapsed:,.0f} frames/s")

    with progress:
        task = progress.add_task("match", total=len(files), frames="")
        for path in files:
            line = _match_one(path, index_set, max_distance, dihedral, fast, one_frame)
            failed += "error" in line
            matched += bool(line.get("matches"))
            if as_json:
                emit_json(line)
            else:
                _human(line)
            progress.advance(task)
    if not as_json:
        err_console.print(f"{matched} of {len(files)} files matched", highlight=False)
    raise typer.Exit(EXIT_TROUBLE if failed else EXIT_MATCHED if matched else EXIT_NO_MATCH)


def register(app: typer.Typer) -> None:
    """Add ``match`` to the root command."""
    app.command("match")(match)
