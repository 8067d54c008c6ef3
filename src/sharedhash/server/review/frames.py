""" "Show only the matched frames" of a video: the seconds where a video match's frames matched (from the vPDQ
match facts), and those frames cut out of a quarantined video as small PNG pictures (PyAV), so a reviewer can
decide without playing the video."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sharedhash.server.review.errors import MediaUnavailableError

#: At most this many matched frames are listed per item (evenly spread over the matched runs).
MAX_FRAMES = 24
FRAME_PIXELS = 640
#: The demuxers FFmpeg may use on the stored file (local file only, as in hashing/video.py).
_OPEN_OPTIONS = {
    "format_whitelist": "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf",
    "protocol_whitelist": "file",
}


def matched_seconds(details: Iterable[dict[str, Any]]) -> list[float]:
    """The content's matched frame times (seconds, sorted, rounded to ms) from the matches' ``query_seconds`` runs
    (``{"start", "end", "frames"}``): each run's frames spread evenly from start to end; at most
    :data:`MAX_FRAMES`, evenly chosen."""
    times: set[float] = set()
    for facts in details:
        for run in facts.get("query_seconds") or []:
            try:
                start, end, count = float(run["start"]), float(run["end"]), max(1, int(run["frames"]))
            except (KeyError, TypeError, ValueError):
                continue
            if count == 1 or end <= start:
                times.add(round(start, 3))
                continue
            step = (end - start) / (count - 1)
            times.update(round(start + i * step, 3) for i in range(count))
    ordered = sorted(times)
    if len(ordered) <= MAX_FRAMES:
        return ordered
    return [ordered[round(i * (len(ordered) - 1) / (MAX_FRAMES - 1))] for i in range(MAX_FRAMES)]


def frame_png(video: bytes, second: float, max_pixels: int) -> bytes:
    """The frame shown at ``second`` of a video (the first frame at or after it), as a PNG of at most
    :data:`FRAME_PIXELS` a side. The bytes go through a private temporary file, deleted at once."""
    import av  # PyAV: optional at import time (the `video` extra)

    with tempfile.TemporaryDirectory(prefix="sharedhash-frames-") as tmp:
        path = Path(tmp) / "video"
        path.write_bytes(video)
        try:
            with av.open(str(path), mode="r", metadata_errors="ignore", options=dict(_OPEN_OPTIONS)) as container:
                if not container.streams.video:
                    raise MediaUnavailableError("the quarantined file has no video stream")
                stream = container.streams.video[0]
                if stream.codec_context.width * stream.codec_context.height > max_pixels:
                    raise MediaUnavailableError("the video's frames have more pixels than the configured limit")
                container.seek(max(0, int(second * 1_000_000)), any_frame=False, backward=True)
                chosen = None
                for frame in container.decode(stream):
                    chosen = frame
                    if frame.time is not None and frame.time + 1e-3 >= second:
                        break
                if chosen is None:
                    raise MediaUnavailableError(f"the video has no frame at {second:g} s")
                image = chosen.to_image()  # type: ignore[no-untyped-call]
        except av.error.FFmpegError as exc:
            raise MediaUnavailableError(f"the quarantined video cannot be decoded ({type(exc).__name__})") from None
    image.thumbnail((FRAME_PIXELS, FRAME_PIXELS))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()
