"""Hashing's own errors, under the branches of the one tree in :mod:`sharedhash.errors`."""

from __future__ import annotations

from sharedhash.errors import CorruptMediaError, LimitExceededError, MediaError, UnsupportedMediaError


class CodecNotInstalledError(UnsupportedMediaError):
    """An image format that needs an optional codec (HEIC/AVIF) which is not installed."""

    code = "codec_not_installed"
    default_hint = "Install the codec with `pip install 'sharedhash[heif]'`."


class FileTooLargeError(LimitExceededError):
    """A file larger than the configured byte limit for decoding."""

    code = "file_too_large"
    default_hint = "Raise SHAREDHASH_MAX_FILE_BYTES if such files are expected."


# Videos (hashing/video.py). Each bad-input case has its own code; limits are the video_* settings.
class NotAVideoError(UnsupportedMediaError):
    """Bytes that no video demuxer recognises (e.g. a text file named .mp4)."""

    code = "not_a_video"
    default_hint = "Supported: the containers and codecs FFmpeg reads (MP4/MOV, MKV/WebM, AVI, MPEG-TS, ...)."


class NoVideoStreamError(UnsupportedMediaError):
    """A media file without a video stream (audio only, subtitles...)."""

    code = "no_video_stream"
    default_hint = "vPDQ hashes pictures: the file has no video track. Cryptographic hashes still work."


class VideoCodecError(UnsupportedMediaError):
    """A video stream in a codec this FFmpeg build cannot decode."""

    code = "video_codec_unsupported"
    default_hint = "Re-encode the video (e.g. H.264) or use an FFmpeg build with the codec."


class TruncatedVideoError(CorruptMediaError):
    """The file ends before its video does (an interrupted download or copy)."""

    code = "truncated_video"
    default_hint = "The file is incomplete: fetch it again from its source."


class BadFrameRateError(MediaError):
    """A frame rate that is zero, missing or beyond the configured limit."""

    code = "bad_frame_rate"
    default_hint = "Raise SHAREDHASH_VIDEO_MAX_FPS if such videos are expected."


class VideoTooLargeError(MediaError):
    """Frames with more pixels than the configured limit (checked before decoding)."""

    code = "video_too_large"
    default_hint = "Raise SHAREDHASH_VIDEO_MAX_FRAME_PIXELS if such videos are expected."


class VideoTooLongError(MediaError):
    """A video longer (in seconds or frames) than the configured limits."""

    code = "video_too_long"
    default_hint = "Raise SHAREDHASH_VIDEO_MAX_SECONDS or SHAREDHASH_VIDEO_MAX_FRAMES if such videos are expected."


class VideoTimeoutError(MediaError):
    """Decoding took longer than the configured wall-clock limit."""

    code = "video_timeout"
    default_hint = "Raise SHAREDHASH_VIDEO_MAX_WALL_SECONDS, or hash the video on a less loaded machine."
