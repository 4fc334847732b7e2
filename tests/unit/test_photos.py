"""Photo inspection and derivatives on images generated here with pillow."""

from __future__ import annotations

import hashlib
import io
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from accident.photos import (
    CorruptImage,
    ImageTooLarge,
    NotAnImage,
    TruncatedImage,
    UnsupportedImageFormat,
    capture_time,
    gps_position,
    inspect_upload,
    make_derivatives,
)


def _exif(
    *,
    orientation: int = 1,
    when: str | None = "2026:05:09 14:30:05",
    offset: str | None = "+08:00",
    gps: bool = True,
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Software] = "secret-phone-model"
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    if when:
        ifd[ExifTags.Base.DateTimeOriginal] = when
    if offset:
        ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        g = exif.get_ifd(ExifTags.IFD.GPSInfo)
        g[1], g[2] = "N", (IFDRational(31), IFDRational(13), IFDRational(4560, 100))
        g[3], g[4] = "E", (IFDRational(121), IFDRational(28), IFDRational(0))
    return exif


def _jpeg(size: tuple[int, int] = (400, 300), **exif_args: object) -> bytes:
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, exif=_exif(**exif_args), icc_profile=b"not-really-a-profile")
    return out.getvalue()


def _png(size: tuple[int, int] = (300, 200), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 30, 128) if mode == "RGBA" else (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring a huge grey image; the pixels never exist, only a compressed stream."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = zlib.compress(
        b"\x00" * 1_000_000, 9
    )  # far fewer rows than declared: never read that far
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_inspect_reads_hash_size_time_and_place_from_a_phone_jpeg() -> None:
    data = _jpeg()
    facts = inspect_upload(data, max_pixels=50_000_000)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert (facts.size_bytes, facts.media_type) == (len(data), "image/jpeg")
    assert (facts.width, facts.height) == (400, 300)
    assert facts.taken_at == datetime(2026, 5, 9, 14, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    assert not facts.taken_at_zone_assumed
    assert facts.gps_lat == pytest.approx(31 + 13 / 60 + 45.6 / 3600)
    assert facts.gps_lon == pytest.approx(121 + 28 / 60)


def test_inspect_swaps_width_and_height_for_a_photo_taken_upright() -> None:
    facts = inspect_upload(_jpeg((400, 300), orientation=6), max_pixels=50_000_000)
    assert (facts.width, facts.height, facts.orientation) == (300, 400, 6)


def test_capture_time_without_offset_is_taken_as_china_standard_time_and_says_so() -> None:
    facts = inspect_upload(_jpeg(offset=None, gps=False), max_pixels=50_000_000)
    assert facts.taken_at is not None and facts.taken_at.utcoffset() == timedelta(hours=8)
    assert facts.taken_at_zone_assumed
    assert (facts.gps_lat, facts.gps_lon) == (None, None)


@pytest.mark.parametrize(
    ("ifd", "expected"),
    [
        (
            {0x9003: "2026:01:02 03:04:05", 0x9011: "-05:00", 0x9291: "25"},
            (datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=timezone(timedelta(hours=-5))), False),
        ),
        (
            {0x9003: "0000:00:00 00:00:00", 0x9004: "2026:01:02 03:04:05"},
            (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8))), True),
        ),
        ({0x9003: "    :  :     :  :  "}, (None, False)),
        (
            {0x9003: "2026:01:02 03:04:05", 0x9011: "+99:00"},
            (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8))), True),
        ),
        ({}, (None, False)),
    ],
)
def test_capture_time_reads_exif_or_gives_none(ifd: dict[int, object], expected: object) -> None:
    assert capture_time(ifd) == expected


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        (
            {1: "S", 2: (33.0, 52.0, 4.0), 3: "W", 4: (151.0, 12.0, 0.0)},
            (round(-(33 + 52 / 60 + 4 / 3600), 7), -151.2),
        ),
        ({1: b"N\x00", 2: (39.9042,), 3: b"E\x00", 4: (116.4074,)}, (39.9042, 116.4074)),
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0)}, (None, None)),
        ({1: "N", 2: (39.0, 75.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0)}, (None, None)),
        ({1: "N", 2: (float("nan"), 0.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0)}, (None, None)),
        ({1: "X", 2: (39.0, 0.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0)}, (None, None)),
        ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, (None, None)),
        ({1: "N", 2: (39.0, 0.0, 0.0), 3: "E", 4: (116.0, 0.0, 0.0), 9: "V"}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_gps_is_signed_degrees_and_nonsense_is_ignored(
    gps: dict[int, object], expected: object
) -> None:
    assert gps_position(gps) == expected


def test_png_is_accepted_without_exif() -> None:
    facts = inspect_upload(_png(), max_pixels=50_000_000)
    assert (facts.media_type, facts.width, facts.height, facts.taken_at) == (
        "image/png",
        300,
        200,
        None,
    )


@pytest.mark.parametrize("data", [b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "事故现场".encode(), b""])
def test_a_file_that_is_not_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(NotAnImage) as caught:
        inspect_upload(data, max_pixels=50_000_000)
    assert caught.value.code == "not-an-image" and caught.value.kind == "unsupported"


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("WEBP", "WebP"), ("BMP", "BMP")])
def test_other_image_formats_are_refused_by_name(fmt: str, name: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, fmt)
    with pytest.raises(UnsupportedImageFormat) as caught:
        inspect_upload(out.getvalue(), max_pixels=50_000_000)
    assert caught.value.extra["format"] == name and name in caught.value.detail_en


def test_heic_is_refused_with_advice_to_switch_the_camera_to_jpeg() -> None:
    with pytest.raises(UnsupportedImageFormat) as caught:
        inspect_upload(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", max_pixels=50_000_000)
    assert "兼容性最佳" in caught.value.detail_zh


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.05])
def test_a_jpeg_cut_off_in_transfer_is_refused_as_truncated(keep: float) -> None:
    data = _jpeg()
    with pytest.raises(TruncatedImage) as caught:
        inspect_upload(data[: int(len(data) * keep)], max_pixels=50_000_000)
    assert caught.value.code == "truncated-image"


def test_a_jpeg_with_a_long_vendor_trailer_after_its_end_marker_is_complete() -> None:
    facts = inspect_upload(_jpeg() + b"SEFH" * 40_000, max_pixels=50_000_000)
    assert facts.width == 400


def test_a_png_cut_off_in_transfer_is_refused_as_truncated() -> None:
    with pytest.raises(TruncatedImage):
        inspect_upload(_png()[:-30], max_pixels=50_000_000)


def test_a_jpeg_with_garbage_between_markers_is_refused_as_corrupt() -> None:
    data = _jpeg()
    with pytest.raises(CorruptImage):
        at = data.index(b"\xff\xe1")
        inspect_upload(data[:at] + b"garbage" + data[at:], max_pixels=50_000_000)


def test_a_decompression_bomb_is_refused_before_any_pixel_is_allocated() -> None:
    bomb = _png_bomb(30_000, 30_000)
    assert len(bomb) < 10_000
    for refuse in (
        lambda: inspect_upload(bomb, max_pixels=50_000_000),
        lambda: make_derivatives(bomb),
    ):
        with pytest.raises(ImageTooLarge) as caught:
            refuse()
        assert (caught.value.code, caught.value.kind) == ("image-too-large", "too_large")
        assert caught.value.extra["width"] == 30_000


def test_the_pixel_limit_is_the_callers_even_below_pillows_own() -> None:
    with pytest.raises(ImageTooLarge):
        inspect_upload(_jpeg((400, 300)), max_pixels=100_000)


def test_a_bomb_above_pillows_own_limit_raises_no_warning_even_with_a_generous_caller_limit() -> (
    None
):
    with pytest.raises(ImageTooLarge):
        inspect_upload(_png_bomb(100_000, 100_000), max_pixels=10**12)


def test_derivatives_are_bounded_jpegs_with_no_metadata_at_all() -> None:
    result = make_derivatives(_jpeg((3000, 2000)))
    assert result.preview_size == (1280, 853) and result.thumbnail_size == (256, 171)
    for data, size in (
        (result.preview, result.preview_size),
        (result.thumbnail, result.thumbnail_size),
    ):
        with Image.open(io.BytesIO(data)) as im:
            assert (im.format, im.size) == ("JPEG", size)
            assert len(im.getexif()) == 0
            assert not {"exif", "icc_profile", "comment", "xmp"} & set(im.info)
        assert b"secret-phone-model" not in data


def test_the_preview_of_a_photo_taken_upright_comes_out_rotated() -> None:
    im = Image.new("RGB", (2000, 1000), "white")
    im.paste((255, 0, 0), (0, 0, 200, 1000))  # red stripe on the stored left = the top once upright
    out = io.BytesIO()
    im.save(out, "JPEG", exif=_exif(orientation=6))
    result = make_derivatives(out.getvalue())
    assert result.preview_size == (640, 1280) and result.thumbnail_size == (128, 256)
    with Image.open(io.BytesIO(result.preview)) as preview:
        top, bottom = preview.getpixel((320, 20)), preview.getpixel((320, 1260))
    assert isinstance(top, tuple) and top[0] > 200 and top[1] < 60
    assert isinstance(bottom, tuple) and min(bottom) > 200


def test_a_small_transparent_png_is_flattened_on_white_and_not_enlarged() -> None:
    result = make_derivatives(_png((300, 200)))
    assert result.preview_size == (300, 200) and result.thumbnail_size == (256, 171)
    with Image.open(io.BytesIO(result.preview)) as preview:
        assert preview.mode == "RGB"


def test_derivatives_of_a_truncated_jpeg_are_refused() -> None:
    with pytest.raises(TruncatedImage):
        make_derivatives(_jpeg()[:-500])


def test_derivatives_of_a_png_damaged_inside_are_refused_as_corrupt() -> None:
    data = bytearray(_png((300, 200), mode="RGB"))
    at = data.index(b"IDAT") + 10
    data[at : at + 8] = b"\xde\xad\xbe\xef" * 2
    with pytest.raises(CorruptImage):
        make_derivatives(bytes(data))
