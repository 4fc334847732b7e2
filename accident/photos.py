"""Photo evidence with pillow: inspect uploads, render upright metadata-free derivatives (run in a thread)."""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from PIL import ExifTags, Image, PngImagePlugin

from accident.photo_similarity import PerceptualHashes, variant_hashes
from kernel.errors import DomainError

MediaType = Literal["image/jpeg", "image/png"]
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
PREVIEW_PX = 1280
THUMBNAIL_PX = 256
# Pixel limits per way of decoding, chosen so that one derivative job stays under 192 MB (the default of the
# setting image_job_memory_mb; the worst image each limit allows is measured in
# tests/integration/test_image_memory.py):
# - a baseline JPEG whose first scan holds every component is decoded by libjpeg already scaled down to 1/2,
#   1/4 or 1/8 (draft), so even the largest allowed photo needs a few tens of megabytes;
# - PNG, and progressive or multi-scan JPEG, hold every pixel (or every DCT coefficient, 2 bytes a sample)
#   of the whole image at once: up to about 9 bytes a pixel here, so they get a far lower limit.
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_FULL_DECODE_PIXELS = 16_000_000
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_OTHER_IMAGES = (
    (b"GIF8", "GIF"),
    (b"RIFF", "WebP"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")
# Orientation tag value -> the transpose that makes the picture upright (as ImageOps.exif_transpose does).
# Area averaging: the cheapest filter that does not alias when shrinking (bilinear costs 1.5× as much here).
_SHRINK = Image.Resampling.BOX
_T = Image.Transpose
_UPRIGHT = {
    2: _T.FLIP_LEFT_RIGHT,
    3: _T.ROTATE_180,
    4: _T.FLIP_TOP_BOTTOM,
    5: _T.TRANSPOSE,
    6: _T.ROTATE_270,
    7: _T.TRANSVERSE,
    8: _T.ROTATE_90,
}
# Pillow inflates a PNG's compressed text chunks on open, up to 64 MB by default: beside the pixels that would
# break the job bound (a photo's text metadata is a few kilobytes; more is refused as corrupt).
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024
# warnings.catch_warnings swaps process-global filters, so concurrent threads must take turns around it.
_WARNINGS_LOCK = threading.Lock()


class NotAnImage(DomainError):
    code = "not-an-image"
    kind = "unsupported"
    title_zh = "上传的文件不是照片，请上传手机拍摄的 JPEG 或 PNG 照片"
    title_en = "The file is not a photo; upload a JPEG or PNG photo taken with your phone"


class UnsupportedImageFormat(DomainError):
    code = "unsupported-image-format"
    kind = "unsupported"
    title_zh = "不支持此照片格式"
    title_en = "This photo format is not supported"


class TruncatedImage(DomainError):
    code = "truncated-image"
    kind = "invalid"
    title_zh = "照片上传不完整，请重新上传"
    title_en = "The photo was cut off in transfer; upload it again"


class CorruptImage(DomainError):
    code = "corrupt-image"
    kind = "invalid"
    title_zh = "照片文件已损坏，请重新拍摄"
    title_en = "The photo file is damaged; take the photo again"


class ImageTooLarge(DomainError):
    code = "image-too-large"
    kind = "too_large"
    title_zh = "照片像素过大"
    title_en = "The photo has too many pixels"


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    """What an upload is: hash, type, upright size, orientation and the EXIF capture time and place."""

    sha256: str
    size_bytes: int
    media_type: MediaType
    width: int  # as displayed, i.e. after the EXIF orientation is applied
    height: int
    orientation: int
    taken_at: datetime | None
    taken_at_zone_assumed: bool  # True when EXIF had no offset and UTC+8 was assumed
    gps_lat: float | None  # WGS-84 decimal degrees, as phones record them (not GCJ-02)
    gps_lon: float | None


@dataclass(frozen=True, slots=True)
class Derivatives:
    """Upright, metadata-free JPEG renditions of one original."""

    preview: bytes
    preview_size: tuple[int, int]
    thumbnail: bytes
    thumbnail_size: tuple[int, int]
    media_type: Literal["image/jpeg"] = "image/jpeg"
    similarity: tuple[
        PerceptualHashes, ...
    ] = ()  # of the upright preview (accident/photo_similarity.py)


def inspect_upload(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_full_decode_pixels: int = DEFAULT_MAX_FULL_DECODE_PIXELS,
) -> PhotoFacts:
    """Hash and examine an upload from its header and EXIF only; raise a DomainError when it is refused.

    The pixel limits are those of make_derivatives, so an accepted upload can always be rendered."""
    fmt, (width, height) = _sniff(data, max_pixels, max_full_decode_pixels)
    with _opened(data, fmt) as im:
        exif = im.getexif()  # no pixel decode here: make_derivatives finds damage inside the data
    orientation = exif.get(ExifTags.Base.Orientation)
    orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
    if orientation >= 5:
        width, height = height, width
    taken_at, assumed = capture_time(exif.get_ifd(ExifTags.IFD.Exif))
    lat, lon = gps_position(exif.get_ifd(ExifTags.IFD.GPSInfo))
    return PhotoFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        media_type="image/jpeg" if fmt == "JPEG" else "image/png",
        width=width,
        height=height,
        orientation=orientation,
        taken_at=taken_at,
        taken_at_zone_assumed=assumed,
        gps_lat=lat,
        gps_lon=lon,
    )


def make_derivatives(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_full_decode_pixels: int = DEFAULT_MAX_FULL_DECODE_PIXELS,
) -> Derivatives:
    """Render a preview (≤1280 px) and, from it, a thumbnail (≤256 px): upright JPEGs without metadata."""
    fmt, size = _sniff(data, max_pixels, max_full_decode_pixels)
    target = fit(size, PREVIEW_PX)
    with _opened(data, fmt) as im:
        orientation = im.getexif().get(ExifTags.Base.Orientation, 1)
        if fmt == "JPEG":
            im.draft("RGB", target)  # libjpeg decodes at 1/2, 1/4 or 1/8 scale, still ≥ the target
        try:
            im.load()
        except (OSError, SyntaxError) as exc:  # the end marker was there, so the damage is inside
            raise CorruptImage from exc
        rgb = _flatten(im)
        if rgb is not im:
            im.close()  # the decoded pixels go before the resize allocates anything more
        # Inside the block: closing the file also frees the pixels of `im`, which `rgb` may still be.
        preview = rgb.copy() if rgb.size == target else rgb.resize(target, _SHRINK, reducing_gap=2)
        rgb.close()
    if orientation in _UPRIGHT:
        preview = preview.transpose(_UPRIGHT[orientation])
    thumb_size = fit(preview.size, THUMBNAIL_PX)
    thumb = (
        preview
        if preview.size == thumb_size
        else preview.resize(thumb_size, _SHRINK, reducing_gap=2)
    )
    return Derivatives(
        _jpeg(preview, 82),
        preview.size,
        _jpeg(thumb, 80),
        thumb.size,
        similarity=tuple(variant_hashes(preview)),
    )


def verify_png(data: bytes, *, max_pixels: int) -> tuple[int, int]:
    """(width, height) of a complete PNG whose chunk checksums hold and whose every pixel decodes; a
    DomainError otherwise (NotAnImage for another format, ImageTooLarge above `max_pixels`)."""
    fmt, size = _sniff(data, max_pixels, max_pixels)
    if fmt != "PNG":
        raise NotAnImage("请上传 PNG 图片", "Upload a PNG image")
    try:
        with (
            _WARNINGS_LOCK,
            warnings.catch_warnings(action="ignore"),
            Image.open(io.BytesIO(data), formats=[fmt]) as im,
        ):
            im.verify()  # every chunk's CRC up to IEND, right after opening; the image is unusable afterwards
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage from exc
    with _opened(data, fmt) as im:
        try:
            im.load()  # every pixel: a broken deflate stream or a short IDAT fails here
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptImage from exc
    return size


def fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """Scale (width, height) down so the longer side is at most `box`; never up."""
    width, height = size
    if max(width, height) <= box:
        return size
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def capture_time(exif_ifd: dict[int, Any]) -> tuple[datetime | None, bool]:
    """DateTimeOriginal (else DateTimeDigitized) as an aware datetime, and whether UTC+8 was assumed."""
    for stamp_tag, offset_tag, subsec_tag in ((0x9003, 0x9011, 0x9291), (0x9004, 0x9012, 0x9292)):
        try:
            naive = datetime.strptime(_text(exif_ifd.get(stamp_tag))[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        if (subsec := _text(exif_ifd.get(subsec_tag))).isdigit():
            naive = naive.replace(microsecond=int(subsec[:6].ljust(6, "0")))
        if match := _OFFSET.fullmatch(_text(exif_ifd.get(offset_tag))):
            minutes = int(match[2]) * 60 + int(match[3])
            if minutes <= 14 * 60 and int(match[3]) < 60:
                sign = -1 if match[1] == "-" else 1
                return naive.replace(tzinfo=timezone(timedelta(minutes=sign * minutes))), False
        return naive.replace(tzinfo=CHINA_STANDARD_TIME), True
    return None, False


def gps_position(gps_ifd: dict[int, Any]) -> tuple[float | None, float | None]:
    """Latitude and longitude in signed decimal degrees, or (None, None) when absent, void or nonsense."""
    if (
        _text(gps_ifd.get(9)).upper() == "V"
    ):  # GPSStatus V: the receiver said the measurement is void
        return None, None
    lat = _degrees(gps_ifd.get(2), gps_ifd.get(1), "N", "S", 90.0)
    lon = _degrees(gps_ifd.get(4), gps_ifd.get(3), "E", "W", 180.0)
    # 0,0 is what a receiver without a fix writes.
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None, None
    return lat, lon


def _degrees(dms: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    hemisphere = _text(ref).upper()
    if (
        hemisphere not in (positive, negative)
        or not isinstance(dms, tuple)
        or not 1 <= len(dms) <= 3
    ):
        return None
    try:
        parts = [float(part) for part in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(p) and p >= 0 for p in parts) or any(p >= 60 for p in parts[1:]):
        return None
    value = sum(part / 60**i for i, part in enumerate(parts))
    if value > limit:
        return None
    return round(-value if hemisphere == negative else value, 7)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


def _sniff(
    data: bytes, max_pixels: int, max_full_decode_pixels: int
) -> tuple[Literal["JPEG", "PNG"], tuple[int, int]]:
    """Format and stored size from the first bytes, refusing bombs before pillow allocates anything."""
    if data.startswith(b"\xff\xd8\xff"):
        fmt: Literal["JPEG", "PNG"] = "JPEG"
        width, height, complete, scaled = _jpeg_header(data)
    elif data.startswith(_PNG_MAGIC) and len(data) >= 33 and data[12:16] == b"IHDR":
        fmt, scaled = "PNG", False
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        complete = data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    elif data.startswith(_PNG_MAGIC):
        raise TruncatedImage
    else:
        raise _refusal(data)
    if width < 1 or height < 1:
        raise CorruptImage
    # Pillow warns above Image.MAX_IMAGE_PIXELS, so never let it see anything above that either.
    limit = max_pixels if scaled else min(max_pixels, max_full_decode_pixels)
    limit = limit if Image.MAX_IMAGE_PIXELS is None else min(limit, Image.MAX_IMAGE_PIXELS)
    if width * height > limit:
        kind_zh, kind_en = (
            ("", "")
            if scaled
            else (
                "PNG 或渐进式 JPEG 照片须整张解码，",
                "a PNG or progressive JPEG is decoded in full, so ",
            )
        )
        raise ImageTooLarge(
            f"照片为 {width}×{height} 像素，{kind_zh}超过上限 {limit} 像素。请用手机相机的默认设置重新拍摄。",
            f"The photo is {width}×{height} pixels; {kind_en}the limit is {limit}. Retake it with default "
            "settings.",
            width=width,
            height=height,
            max_pixels=limit,
            format=fmt,
        )
    if not complete:
        raise TruncatedImage
    return fmt, (width, height)


def _refusal(data: bytes) -> DomainError:
    named = next((name for magic, name in _OTHER_IMAGES if data.startswith(magic)), None)
    if data[4:8] == b"ftyp" and data[8:12] in (
        b"heic",
        b"heix",
        b"mif1",
        b"msf1",
        b"avif",
        b"hevc",
    ):
        named = "AVIF" if data[8:12] == b"avif" else "HEIC"
    if named:
        return UnsupportedImageFormat(
            f"暂不支持 {named} 格式。请把相机格式设为“兼容性最佳”(JPEG) 后重新拍摄，或截图后上传。",
            f"{named} photos are not supported yet. Set the camera to “Most Compatible” (JPEG) or upload a "
            "screenshot.",
            format=named,
        )
    return NotAnImage()


def _jpeg_header(data: bytes) -> tuple[int, int, bool, bool]:
    """Width, height, completeness and whether libjpeg can decode it scaled down (a baseline frame whose first
    scan interleaves every component; otherwise it buffers the whole image), from the markers up to the
    first scan; no pixel is decoded."""
    i, size, sof, components = 2, None, 0, 0
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise CorruptImage
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # standalone markers carry no length
            i += 2
            continue
        if marker in _JPEG_SOF and i + 10 <= len(data):
            size = (
                int.from_bytes(data[i + 7 : i + 9], "big"),
                int.from_bytes(data[i + 5 : i + 7], "big"),
            )
            sof, components = marker, data[i + 9]
        if (
            marker == 0xDA
        ):  # start of scan: the entropy-coded data after it can never contain FF D9 (EOI)
            if size is None or i + 5 > len(data):
                raise CorruptImage
            scaled = sof in (0xC0, 0xC1) and data[i + 4] == components
            # EOI normally ends the file; search the tail first, since noisy data makes a full scan slow.
            tail = max(i, len(data) - 65536)
            complete = data.rfind(b"\xff\xd9", tail) >= 0 or data.find(b"\xff\xd9", i) >= 0
            return size[0], size[1], complete, scaled
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    raise TruncatedImage


@contextmanager
def _opened(data: bytes, fmt: str) -> Iterator[Image.Image]:
    """Open with one plugin; pillow's parse warnings (corrupt EXIF, bad MPO) are silenced, not raised."""
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings(action="ignore"):
            im = Image.open(io.BytesIO(data), formats=[fmt])
            im.getexif()  # parsed here, under the lock, because malformed EXIF warns
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImage from exc
    with im:
        yield im


def _flatten(im: Image.Image) -> Image.Image:
    """RGB, with any transparency composited on white (JPEG has no alpha).

    One full-size RGB image beside the decoded one at most: RGBA and LA are pasted with their own alpha as the
    mask (pillow pastes them onto RGB without a converted copy, and without a separate alpha band)."""
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        with_alpha = im if im.mode in ("RGBA", "LA") else im.convert("RGBA")
        flat = Image.new("RGB", im.size, "white")
        flat.paste(with_alpha, mask=with_alpha)
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def _jpeg(im: Image.Image, quality: int) -> bytes:
    im.info = {}  # pillow carries parts of info (the JPEG comment, PNG text) into what it saves
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()
