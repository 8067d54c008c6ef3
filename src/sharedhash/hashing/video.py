"""Video hashing: decode with FFmpeg (PyAV), select frames exactly as Meta's vPDQ reference does, PDQ each one.

The reference (vpdq ``hashVideoFile``) decodes every frame of the first video stream in output order, numbers them
from 0, and keeps frame ``n`` when ``n % frame_mod == 0`` with ``frame_mod = int(seconds_per_hash * fps)`` (0 -> 1),
``fps`` being the stream's average frame rate (else its real base rate). A kept frame is converted to RGB24 by
swscale with area scaling at the stream's size (or a given size), and hashed by PDQ; its timestamp is ``n / fps``.

We keep that choice of frames and do less work for it (``exact`` mode, same output):

* only kept frames are converted to RGB;
* for H.264 and HEVC, a first pass reads the packets (no decoding) to learn each frame's output number from its
  presentation time; then a frame that is not kept is skipped by the decoder when nothing refers to it
  (``skip_frame = NONREF``), and the frames of a closed group of pictures after its last kept frame are not
  decoded at all (the next keyframe starts afresh). If the decoder's output then differs from the plan, the video
  is decoded again frame by frame, as the reference does.

``fast`` mode decodes keyframes only and gives each kept frame the hash of the keyframe shown nearest to it
(same frame numbers and timestamps; hashes drift, see docs/video.md).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from sharedhash._optional import require
from sharedhash.errors import (
    CorruptMediaError,
    EmptyFileError,
    FileAccessError,
    ImageTooSmallError,
    MediaError,
    SharedhashError,
)
from sharedhash.hashing.errors import (
    BadFrameRateError,
    FileTooLargeError,
    NotAVideoError,
    NoVideoStreamError,
    TruncatedVideoError,
    VideoCodecError,
    VideoTimeoutError,
    VideoTooLargeError,
    VideoTooLongError,
)
from sharedhash.hashing.files import open_for_hashing
from sharedhash.hashing.media import _stream_digests
from sharedhash.hashing.pdq import MIN_DIM, PixelSource, pdq_from_pixels
from sharedhash.hashing.vpdq import TIMESTAMP_DECIMALS, VpdqFrame, VpdqHash

if TYPE_CHECKING:
    from sharedhash.settings import Settings

log = logging.getLogger(__name__)

#: Codecs whose skip rules we rely on (NONREF frames are never referred to; IDR keyframes start afresh).
_PLANNED_CODECS = frozenset({"h264", "hevc"})
_DIGESTS = ("md5", "sha1", "sha256")
#: Container signatures, to tell "a video we cannot read" from "not a video at all".
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the header says: codec, frame size, average frame rate, declared frames and seconds (0: unknown)."""

    codec: str
    width: int
    height: int
    fps: float
    declared_frames: int
    declared_seconds: float


@dataclass(frozen=True, slots=True)
class VideoHashes:
    """A video's vPDQ value, its file digests, what it was, and how much was decoded."""

    vpdq: VpdqHash
    hashes: dict[str, str]
    info: VideoInfo
    frames_total: int
    frames_decoded: int
    mode: str
    seconds: float = field(default=0.0)


@dataclass(frozen=True, slots=True)
class VideoLimits:
    """The limits one decode runs under (defaults: the settings)."""

    max_bytes: int
    max_seconds: float
    max_frames: int
    max_frame_pixels: int
    max_fps: float
    max_wall_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> VideoLimits:
        from sharedhash.settings import get_settings  # here, not at import: `sharedhash hash` of images skips it

        s = settings or get_settings()
        return cls(
            s.max_video_bytes,
            s.video_max_seconds,
            s.video_max_frames,
            s.video_max_frame_pixels,
            s.video_max_fps,
            s.video_max_wall_seconds,
        )


def _av() -> Any:
    av = require("av", "server", "Video hashing")
    av.logging.set_level(None)  # FFmpeg's own messages would go to stderr; every failure becomes our error
    return av


def looks_like_video(head: bytes) -> bool:
    """Whether the first bytes of a file are a common video container's signature (MP4/MOV, Matroska/WebM, AVI,
    FLV, MPEG-TS/PS, Ogg, ASF). HEIF/AVIF images share MP4's boxes and are told apart by their brand."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12] not in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
    return (
        (len(head) >= 8 and head[4:8] in _MP4_BOXES)
        or head.startswith(b"\x1a\x45\xdf\xa3")
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith((b"FLV", b"OggS", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"))
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")
        or (len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47)
    )


def file_digests(path: Path, names: Sequence[str] = _DIGESTS) -> dict[str, str]:
    """md5/sha1/sha256 of a file, streamed (as for images)."""
    return _stream_digests(path, names)


def frame_mod(seconds_per_hash: float, fps: float) -> int:
    """The reference's sampling step: ``int(seconds_per_hash * fps)``, 0 -> 1."""
    return max(1, int(seconds_per_hash * fps))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise VideoTimeoutError(f"decoding took longer than the limit of {self.seconds:g} s")


#: The demuxers FFmpeg may use on untrusted files, and local files only: a playlist (HLS, concat...) that points
#: at other files or URLs is never followed.
_OPEN_OPTIONS = {
    "format_whitelist": "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf",
    "protocol_whitelist": "file",
}


def _open(av: Any, path: Path) -> Any:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore", options=dict(_OPEN_OPTIONS))
    except av.error.FileNotFoundError as exc:
        raise FileAccessError(f"{path} does not exist") from exc
    except av.error.DecoderNotFoundError as exc:
        raise VideoCodecError(f"{path.name}: no decoder for its codec in this FFmpeg build") from exc
    except (av.error.InvalidDataError, av.error.EOFError, av.error.ArgumentError) as exc:
        with open_for_hashing(path) as f:
            head = f.read(512)
        if looks_like_video(head):
            raise TruncatedVideoError(
                f"{path.name} starts like a video but its index cannot be read (truncated or damaged: {exc.strerror})"
            ) from exc
        raise NotAVideoError(f"{path.name} is not a video in a format FFmpeg reads") from exc
    except av.error.FFmpegError as exc:
        raise CorruptMediaError(f"{path.name} cannot be opened as a video: {exc.strerror or exc}") from exc
    except (ValueError, TypeError, UnicodeError, OverflowError) as exc:  # PyAV's own checks on damaged headers
        raise CorruptMediaError(f"{path.name} has a damaged header ({type(exc).__name__})") from exc


def _info(av: Any, container: Any, path: Path, limits: VideoLimits) -> tuple[Any, VideoInfo]:
    streams = container.streams
    if not streams.video:
        kinds = sorted({s.type for s in streams})
        what = f" (it has {', '.join(kinds)} streams)" if kinds else ""
        raise NoVideoStreamError(f"{path.name} has no video stream{what}")
    stream = streams.video[0]
    ctx = stream.codec_context
    if ctx is None:
        raise VideoCodecError(f"{path.name}: the video stream's codec is unknown or its parameters are damaged")
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"{path.name}: the video stream has no frame size")
    if width * height > limits.max_frame_pixels:
        raise VideoTooLargeError(
            f"{path.name}: frames are {width}x{height} ({width * height:,} pixels), over the limit of "
            f"{limits.max_frame_pixels:,}",
            width=width,
            height=height,
        )
    if min(width, height) < MIN_DIM:
        raise ImageTooSmallError(f"{path.name}: frames are {width}x{height}; PDQ needs at least {MIN_DIM}x{MIN_DIM}")
    rate = stream.average_rate
    if not rate:
        rate = stream.base_rate
    fps = float(rate) if rate else 0.0
    if not (fps > 0 and math.isfinite(fps)):
        raise BadFrameRateError(f"{path.name}: the video declares no usable frame rate")
    if fps > limits.max_fps:
        raise BadFrameRateError(f"{path.name}: frame rate {fps:g}/s is over the limit of {limits.max_fps:g}/s")
    seconds = 0.0
    if stream.duration is not None and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / 1_000_000
    if seconds > limits.max_seconds:
        raise VideoTooLongError(f"{path.name} lasts {seconds:,.0f} s, over the limit of {limits.max_seconds:,.0f} s")
    frames = int(stream.frames or 0)
    if frames > limits.max_frames:
        raise VideoTooLongError(f"{path.name} has {frames:,} frames, over the limit of {limits.max_frames:,}")
    if ctx.codec is None or not getattr(ctx.codec, "is_decoder", True):
        raise VideoCodecError(f"{path.name}: no decoder for the video codec")
    return stream, VideoInfo(ctx.name or "unknown", width, height, fps, frames, max(0.0, seconds))


#: Bytes per frame pixel a video's decode holds at most: up to 16 reference frames and the frame being decoded in
#: YUV 4:2:0 (1.5 bytes per pixel each; one decoding thread), and the RGB frame PDQ reads (3 bytes per pixel).
_VIDEO_BYTES_PER_PIXEL = 17 * 1.5 + 3
_VIDEO_OVERHEAD = 32 * 1024 * 1024


def memory_needed(path: Path, limits: VideoLimits | None = None) -> int:
    """An upper bound of the memory, in bytes, :func:`hash_video` takes for the video at ``path``, from its header
    (frame size); 0 when the header is refused (decoding never starts then, and :func:`hash_video` says why)."""
    av = _av()
    limits = limits or VideoLimits.from_settings()
    try:
        container = _open(av, path)
    except MediaError:
        return 0
    try:
        _, info = _info(av, container, path, limits)
    except MediaError:
        return 0
    finally:
        container.close()
    return int(info.width * info.height * _VIDEO_BYTES_PER_PIXEL) + _VIDEO_OVERHEAD


@dataclass(slots=True)
class _Plan:
    """Per packet in decode order: presentation rank, kept?, decode at all?; the frame numbers kept."""

    rank: dict[int, int]
    total: int
    keep: list[bool]
    needed: list[bool]
    keyframe: list[bool]


def _plan(av: Any, path: Path, mod: int, limits: VideoLimits, deadline: _Deadline) -> _Plan | None:
    """Read the packets once (no decoding); None when their times cannot fix each frame's output number."""
    container = _open(av, path)
    try:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        length_size = _nal_length_size(codec, bytes(stream.codec_context.extradata or b""))
        pts: list[int] = []
        keys: list[bool] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.pts is None:
                return None
            pts.append(int(packet.pts))
            # Only an IDR picture starts afresh: a container's "keyframe" may be a recovery point that later
            # frames refer across.
            keys.append(bool(packet.is_keyframe) and _starts_afresh(codec, bytes(packet), length_size))
            if len(pts) > limits.max_frames:
                raise VideoTooLongError(f"{path.name} has more than {limits.max_frames:,} frames")
            if len(pts) % 256 == 0:
                deadline.check()
    except (av.error.FFmpegError, ValueError, TypeError, OverflowError, OSError):
        return None  # the decoding pass reports the damage
    finally:
        container.close()
    ordered = sorted(pts)
    if len(set(ordered)) != len(ordered):
        return None
    rank = {p: i for i, p in enumerate(ordered)}
    keep = [rank[p] % mod == 0 for p in pts]
    # A keyframe starts afresh (IDR) when no later packet before the next keyframe is shown before it (no
    # leading pictures that refer back). Walking backwards, a packet must be decoded when it is kept or when a
    # kept packet later in the same closed group may refer to it.
    closed = [False] * len(pts)
    lowest_after = math.inf
    for i in range(len(pts) - 1, -1, -1):
        if keys[i]:
            closed[i] = lowest_after >= pts[i]
            lowest_after = math.inf
        else:
            lowest_after = min(lowest_after, pts[i])
    needed = [False] * len(pts)
    later = False
    for i in range(len(pts) - 1, -1, -1):
        needed[i] = keep[i] or later
        later = needed[i] and not (keys[i] and closed[i])
    return _Plan(rank, len(pts), keep, needed, keys)


def _nal_length_size(codec: str, extradata: bytes) -> int:
    """Bytes of each NAL unit's length prefix (avcC/hvcC extradata), or 0 for Annex B start codes."""
    if codec == "h264" and len(extradata) >= 5 and extradata[0] == 1:
        return (extradata[4] & 3) + 1
    if codec == "hevc" and len(extradata) >= 23 and extradata[0] == 1:
        return (extradata[21] & 3) + 1
    return 0


def _nal_headers(data: bytes, length_size: int) -> list[int]:
    """The first header byte of every NAL unit in a packet."""
    out: list[int] = []
    if length_size:
        at = 0
        while at + length_size < len(data):
            size = int.from_bytes(data[at : at + length_size], "big")
            if size <= 0:
                break
            out.append(data[at + length_size])
            at += length_size + size
        return out
    at = data.find(b"\x00\x00\x01")
    while 0 <= at < len(data) - 3:
        out.append(data[at + 3])
        at = data.find(b"\x00\x00\x01", at + 3)
    return out


def _starts_afresh(codec: str, data: bytes, length_size: int) -> bool:
    """Whether a packet holds an IDR picture (H.264 NAL type 5; HEVC IDR_W_RADL / IDR_N_LP): nothing after it in
    decoding order refers to a frame before it."""
    headers = _nal_headers(data, length_size)
    if codec == "h264":
        return any(h & 0x1F == 5 for h in headers)
    return any((h >> 1) & 0x3F in (19, 20) for h in headers)


FrameCallback = Callable[[int], None]


def _hash_frame(frame: Any, size: tuple[int, int]) -> tuple[str, int]:
    rgb = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    plane = rgb.planes[0]
    image = Image.frombuffer("RGB", size, bytes(plane), "raw", "RGB", plane.line_size, 1)
    result = pdq_from_pixels(PixelSource(image))
    return result.hash, result.quality


def _decode_error(av: Any, exc: Exception, path: Path, produced: int) -> Exception:
    if isinstance(exc, av.error.EOFError) or produced == 0:
        return CorruptMediaError(f"{path.name}: the video data is damaged ({getattr(exc, 'strerror', exc)})")
    return CorruptMediaError(
        f"{path.name}: the video data is damaged after frame {produced} ({getattr(exc, 'strerror', exc)})"
    )


def _run(
    av: Any,
    path: Path,
    info: VideoInfo,
    mod: int,
    size: tuple[int, int],
    plan: _Plan | None,
    fast: bool,
    limits: VideoLimits,
    deadline: _Deadline,
    progress: FrameCallback | None,
) -> tuple[list[tuple[int, str, int]], int, int] | None:
    """Decode and hash; returns (frame number, hash, quality) per kept frame, frames in the video, frames decoded.

    None when a planned decode did not produce what the plan said (the caller decodes again, unplanned)."""
    deadline.check()
    container = _open(av, path)
    try:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        ctx.thread_count = 1  # one core per video: a folder uses every core through processes
        hashed: list[tuple[int, str, int]] = []
        key_hashes: list[tuple[int, str, int]] = []  # fast mode: (rank, hash, quality) of decoded keyframes
        produced = decoded = index = packets = 0
        try:
            for packet in container.demux(stream):
                flushing = packet.size == 0
                packets += not flushing
                if plan is not None and not flushing:
                    i = index
                    index += 1
                    if i >= plan.total:
                        return None
                    if fast:
                        if not plan.keyframe[i]:
                            continue
                        ctx.skip_frame = "DEFAULT"
                    else:
                        if not plan.needed[i]:
                            continue
                        ctx.skip_frame = "DEFAULT" if plan.keep[i] else "NONREF"
                elif flushing:
                    ctx.skip_frame = "DEFAULT"
                for frame in packet.decode():
                    decoded += 1
                    if plan is None:
                        number = produced
                        produced += 1
                        if produced > limits.max_frames:
                            raise VideoTooLongError(f"{path.name} has more than {limits.max_frames:,} frames")
                    else:
                        if frame.pts is None or frame.pts not in plan.rank:
                            return None
                        number = plan.rank[frame.pts]
                    if number > info.fps * limits.max_seconds:  # the header may understate the duration
                        raise VideoTooLongError(f"{path.name} lasts more than the limit of {limits.max_seconds:,.0f} s")
                    if fast and plan is not None:
                        key_hashes.append((number, *_hash_frame(frame, size)))
                    elif number % mod == 0:
                        hashed.append((number, *_hash_frame(frame, size)))
                    if progress is not None:
                        progress(1)
                    if decoded % 8 == 0:
                        deadline.check()
                if decoded == 0 and index % 64 == 0:
                    deadline.check()
        except SharedhashError:
            raise
        except av.error.FFmpegError as exc:
            raise _decode_error(av, exc, path, decoded) from exc
        except (ValueError, TypeError, OverflowError, UnicodeError, OSError) as exc:
            raise _decode_error(av, exc, path, decoded) from exc
        except MemoryError as exc:
            raise VideoTooLargeError(f"{path.name}: not enough memory to decode its frames") from exc
    finally:
        container.close()
    if plan is None:
        total = produced
    else:
        total = plan.total
        if fast:
            spread = _spread_keyframes(key_hashes, total, mod)
            if spread is None:
                return None
            hashed = spread
        elif sorted(n for n, _, _ in hashed) != list(range(0, total, mod)):
            return None
    if total == 0:
        raise CorruptMediaError(f"{path.name}: no frame could be decoded")
    # Packets, not decoded frames: a decoder may rightly drop a frame it cannot show (the reference then hashes
    # fewer frames too), but a file that holds fewer frames than its index lists was cut short.
    if info.declared_frames and packets < info.declared_frames:
        raise TruncatedVideoError(
            f"{path.name} declares {info.declared_frames:,} frames but only {packets:,} are in the file"
        )
    hashed.sort()
    return hashed, total, decoded


def _spread_keyframes(keys: list[tuple[int, str, int]], total: int, mod: int) -> list[tuple[int, str, int]] | None:
    """Fast mode: each kept frame number takes the hash of the keyframe shown nearest to it (the earlier on a tie)."""
    keys.sort()
    if not keys or keys[0][0] != 0:
        return None
    out: list[tuple[int, str, int]] = []
    k = 0
    for number in range(0, total, mod):
        while k + 1 < len(keys) and keys[k + 1][0] <= number:
            k += 1
        nearest = k
        if k + 1 < len(keys) and keys[k + 1][0] - number < number - keys[k][0]:
            nearest = k + 1
        out.append((number, keys[nearest][1], keys[nearest][2]))
    return out


def hash_video(
    path: Path,
    *,
    seconds_per_hash: float | None = None,
    fast: bool = False,
    downsample: tuple[int, int] | None = None,
    digests: Sequence[str] = _DIGESTS,
    limits: VideoLimits | None = None,
    progress: FrameCallback | None = None,
    planned: bool = True,
) -> VideoHashes:
    """The vPDQ value of the video at ``path`` (and its file digests), with the reference's choice of frames.

    ``seconds_per_hash`` defaults to the setting (1.0, as HMA uses; 0 hashes every frame). ``fast`` decodes
    keyframes only (see the module docstring). ``downsample`` converts frames to that (width, height) before
    PDQ, as the reference's option. ``progress`` is called with 1 per decoded frame. ``planned=False`` decodes
    every frame (the reference's way; for tests and benchmarks). Raises :class:`~sharedhash.errors.MediaError`
    subclasses with specific codes for bad input, within ``limits`` (the settings by default).
    """
    started = time.monotonic()
    from sharedhash.settings import get_settings

    limits = limits or VideoLimits.from_settings()
    sph = get_settings().vpdq_seconds_per_hash if seconds_per_hash is None else seconds_per_hash
    if not (sph >= 0 and math.isfinite(sph)):
        raise BadFrameRateError(f"seconds_per_hash must be a number of seconds >= 0, not {sph}")
    with open_for_hashing(path) as f:
        head = f.read(16)
        f.seek(0, 2)
        size_bytes = f.tell()
    if size_bytes == 0 or not head:
        raise EmptyFileError(f"{path.name} is empty (0 bytes)")
    if size_bytes > limits.max_bytes:
        raise FileTooLargeError(f"{path.name} is larger than the limit of {limits.max_bytes:,} bytes for videos")
    av = _av()
    deadline = _Deadline(limits.max_wall_seconds)
    container = _open(av, path)
    try:
        _, info = _info(av, container, path, limits)
    except SharedhashError:
        raise
    except (ValueError, TypeError, OverflowError, ZeroDivisionError, AttributeError) as exc:
        raise CorruptMediaError(f"{path.name} has a damaged video header ({type(exc).__name__})") from exc
    finally:
        container.close()
    size = downsample or (info.width, info.height)
    if downsample is not None and min(downsample) < MIN_DIM:
        raise ImageTooSmallError(f"downsampling to {downsample[0]}x{downsample[1]} is below PDQ's {MIN_DIM}x{MIN_DIM}")
    mod = frame_mod(sph, info.fps)
    plan = _plan(av, path, mod, limits, deadline) if (planned or fast) and info.codec in _PLANNED_CODECS else None
    result = None
    mode = "fast" if fast and plan is not None else ("planned" if plan is not None else "every-frame")
    if plan is not None:
        result = _run(av, path, info, mod, size, plan, fast, limits, deadline, progress)
        if result is None:
            log.info("%s: the decoder's output differed from the plan; decoding every frame", path.name)
            mode = "every-frame"
    if result is None:
        result = _run(av, path, info, mod, size, None, False, limits, deadline, progress)
        assert result is not None
    hashed, total, decoded = result
    frames = tuple(VpdqFrame(n, q, h, round(n / info.fps, TIMESTAMP_DECIMALS)) for n, h, q in hashed)
    return VideoHashes(
        vpdq=VpdqHash(frames),
        hashes=file_digests(path, digests) if digests else {},
        info=info,
        frames_total=total,
        frames_decoded=decoded,
        mode=mode,
        seconds=time.monotonic() - started,
    )


__all__ = ["VideoHashes", "VideoInfo", "VideoLimits", "file_digests", "frame_mod", "hash_video", "looks_like_video"]
