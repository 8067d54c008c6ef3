"""Safe image decoding: allowed formats only, pixel limit checked before decoding, every failure a clean error."""

from __future__ import annotations

import importlib
import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, UnidentifiedImageError

from sharedhash.errors import (
    CorruptMediaError,
    EmptyFileError,
    ImageTooLargeError,
    ImageTooSmallError,
    MediaError,
    UnsupportedMediaError,
)
from sharedhash.hashing.errors import CodecNotInstalledError
from sharedhash.hashing.pdq import MIN_DIM, PixelSource

#: What sharedhash decodes. Restricting Pillow to these keeps rarely used (and rarely audited) parsers away from
#: untrusted uploads. (Camera JPEGs that Pillow reports as MPO open through JPEG.)
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
_HEIF_FORMATS = ("HEIF",)

#: Modes whose stored bytes the kernels read directly; everything else is converted to RGB first, as the
#: reference does (RGBA/RGBX keep R, G, B in the first three bytes, exactly what convert("RGB") keeps).
_DIRECT_MODES = frozenset({"RGB", "RGBA", "RGBX", "L", "1"})

# ISO-BMFF brands of HEIC/HEIF/AVIF files, to tell "needs the codec" from "not an image".
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")

_heif_lock = threading.Lock()
_heif_registered: bool | None = None
_bomb_lock = threading.Lock()


def _heif_available() -> bool:
    """Register pillow-heif's opener once, if the optional extra is installed."""
    global _heif_registered
    with _heif_lock:
        if _heif_registered is None:
            try:
                import pillow_heif

                pillow_heif.register_heif_opener()
                _heif_registered = True
            except ImportError:
                _heif_registered = False
        return _heif_registered


def _looks_like_heif(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A decoded first frame ready for the PDQ kernels, plus what it was."""

    pixels: PixelSource
    format: str
    width: int
    height: int

    @property
    def upright_size(self) -> tuple[int, int]:
        """(width, height) after the EXIF orientation is applied."""
        return (self.height, self.width) if self.pixels.orientation in (5, 6, 7, 8) else (self.width, self.height)


@contextmanager
def _quiet_bomb_warning() -> Iterator[None]:
    # Pillow warns about the file (its own ~89 MP bomb guard, odd palettes, bad EXIF): ours is the pixel check
    # right after opening, and a file's oddities are reported as errors or ignored, never as warnings.
    # (catch_warnings swaps process-wide filters; concurrent threads may briefly see each other's, which can only
    # hide a Pillow warning, never change a result.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# Pillow's plugin module of each allowed format. Importing these (not Image.init(), which imports all ~45 plugins,
# ~35 ms) is what registers them: `sharedhash hash` of one small file is mostly start-up.
_PLUGINS = {
    "JPEG": "JpegImagePlugin",
    "PNG": "PngImagePlugin",
    "GIF": "GifImagePlugin",
    "WEBP": "WebPImagePlugin",
    "BMP": "BmpImagePlugin",
    "TIFF": "TiffImagePlugin",
    "AVIF": "AvifImagePlugin",
}


@lru_cache(maxsize=1)
def _register_plugins() -> None:
    for fmt in FORMATS:
        try:
            importlib.import_module(f"PIL.{_PLUGINS[fmt]}")
        except ImportError:  # a plugin this Pillow lacks: the format is left out below, as Image.init() would
            continue


def _formats() -> list[str]:
    _register_plugins()
    wanted = FORMATS + (_HEIF_FORMATS if _heif_available() else ())
    return [f for f in wanted if f in Image.OPEN]  # AVIF only where Pillow was built with libavif


def _open(data: bytes, max_pixels: int) -> Image.Image:
    formats = _formats()
    try:
        return Image.open(io.BytesIO(data), formats=formats)  # warnings are already silenced by decode()
    except Image.DecompressionBombError:
        # Pillow refuses above twice its own limit; our configured limit may allow more. Raise Pillow's limit
        # only for this header read, under a lock, and only when needed.
        with _bomb_lock:
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = max_pixels
            try:
                return Image.open(io.BytesIO(data), formats=formats)
            except Image.DecompressionBombError as exc:
                raise ImageTooLargeError(f"image has more than {max_pixels:,} pixels") from exc
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except UnidentifiedImageError as exc:
        if _looks_like_heif(data[:12]):
            raise CodecNotInstalledError("this is a HEIC/AVIF image and its codec is not installed") from exc
        raise UnsupportedMediaError("not an image in a supported format (JPEG, PNG, GIF, WebP, BMP, TIFF)") from exc
    except MediaError:
        raise
    except Exception as exc:  # Pillow's parsers raise many types on malformed headers (SyntaxError, struct.error...)
        raise CorruptMediaError(f"damaged or truncated image header ({type(exc).__name__}: {exc})") from exc


def decode(data: bytes, *, max_pixels: int, fast: bool = False) -> DecodedImage:
    """Decode the first frame of ``data`` for hashing; raise a :class:`MediaError` subclass on any problem.

    The pixel limit is checked on the header, before any pixel is decoded. ``fast`` lets JPEG decode at a
    reduced size (libjpeg's DCT scaling), which changes the hash by a few bits.
    """
    if not data:
        raise EmptyFileError("the file is empty (0 bytes)")
    with _quiet_bomb_warning():
        return _decode(data, max_pixels, fast)


def _decode(data: bytes, max_pixels: int, fast: bool) -> DecodedImage:
    image = _open(data, max_pixels)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} ({width * height:,} pixels), over the limit of {max_pixels:,}",
            width=width,
            height=height,
        )
    if min(width, height) < MIN_DIM:
        raise ImageTooSmallError(f"image is {width}x{height}; PDQ needs at least {MIN_DIM}x{MIN_DIM} pixels")
    fmt = image.format or "unknown"
    try:
        orientation = int(image.getexif().get(0x0112, 1))
    except Exception:  # a damaged EXIF block must not stop hashing; the reference ignores it too
        orientation = 1
    if orientation not in range(1, 9):
        orientation = 1
    try:
        if fast and fmt in ("JPEG", "MPO"):
            _draft(image)
        image.seek(0)
        image.load()
        if image.mode not in _DIRECT_MODES:
            image = image.convert("RGB")
    except MediaError:
        raise
    except MemoryError as exc:
        raise ImageTooLargeError(f"not enough memory to decode a {width}x{height} image") from exc
    except Exception as exc:  # truncated data, broken streams, bad palettes... all the same to the caller
        raise CorruptMediaError(f"the image data is truncated or damaged ({type(exc).__name__}: {exc})") from exc
    w, h = image.size
    if min(w, h) < MIN_DIM:
        raise ImageTooSmallError(f"image is {w}x{h}; PDQ needs at least {MIN_DIM}x{MIN_DIM} pixels")
    return DecodedImage(PixelSource(image, orientation), fmt, width, height)


#: Bytes per pixel of Pillow's memory for each mode it decodes to (every other mode: 4, Pillow's widest but "F"/"I").
_STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
#: Bytes per pixel a decoder may hold beside the image: a progressive JPEG keeps its DCT coefficients (2 bytes per
#: coefficient, up to 3 components at full resolution); libwebp decodes into a buffer Pillow then copies.
_DECODER_BYTES = {"JPEG": 6, "MPO": 6, "WEBP": 4}
#: What decoding and hashing need beyond the pixels whatever the size (Pillow's and zlib's buffers, the kernels'
#: row windows for images up to 200 MP, the 64x64 buffers).
_DECODE_OVERHEAD = 16 * 1024 * 1024


def memory_needed(data: bytes, *, max_pixels: int) -> int:
    """An upper bound of the memory, in bytes, that :func:`decode` and PDQ hashing of ``data`` take beyond ``data``
    itself, read from the header alone (nothing is decoded): the decoded pixels, a conversion to RGB where the mode
    needs one, a decoder's own full-size buffers. 0 for anything that is not an image of a supported format, or
    is refused by its header (too many pixels): decoding stops before any pixel then."""
    if not data:
        return 0
    try:
        with _quiet_bomb_warning():
            image = _open(data, max_pixels)
    except MediaError:
        return 0
    try:
        width, height = image.size
        pixels = width * height
        if pixels > max_pixels:
            return 0
        mode = image.mode
        fmt = image.format or ""
        progressive = bool(image.info.get("progressive") or image.info.get("progression"))
    finally:
        image.close()
    need = pixels * _STORED_BYTES.get(mode, 4)
    if mode not in _DIRECT_MODES:
        need += pixels * 4  # convert("RGB"): Pillow keeps RGB in 4 bytes per pixel
    if fmt in _DECODER_BYTES and (fmt not in ("JPEG", "MPO") or progressive):
        need += pixels * _DECODER_BYTES[fmt]
    return need + _DECODE_OVERHEAD


# Fast mode decodes JPEGs at 1/2, 1/4 or 1/8 size so that the short side stays at least this long (6 pixels per
# PDQ sample). Measured on the benchmark photos: 384 gives mean 2.8 / max 8 bits off the exact hash; 256 (which
# lets 12 MP decode at 1/8) gives mean 8 / max 16 bits for only ~10% more speed.
FAST_MIN_SIDE = 384


def _draft(image: Image.Image) -> None:
    width, height = image.size
    scale = min(width, height) / FAST_MIN_SIDE
    if scale >= 2:
        image.draft("RGB", (max(1, int(width / scale)), max(1, int(height / scale))))
