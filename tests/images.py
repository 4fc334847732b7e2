"""Images made for tests: PNGs written chunk by chunk (any size, colour type and depth pillow cannot write,
in a few kilobytes, without ever holding the pixels) and JPEGs of a given kind."""

from __future__ import annotations

import io
import zlib

from PIL import Image

_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png(
    width: int,
    height: int,
    *,
    color_type: int = 6,
    depth: int = 8,
    interlace: bool = False,
    text: str = "",
) -> bytes:
    """A valid PNG of flat grey-ish pixels; `text` (a tEXt chunk) gives otherwise equal images new bytes."""
    bits = _CHANNELS[color_type] * depth
    deflate = zlib.compressobj(9)
    parts = []
    for x0, y0, dx, dy in _ADAM7 if interlace else ((0, 0, 1, 1),):
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            row = b"\x00" + b"\x7f" * ((w * bits + 7) // 8)  # filter 0, then the samples
            parts.extend(deflate.compress(row) for _ in range(h))
    parts.append(deflate.flush())
    extra = b""
    if color_type == 3:  # a palette with partial transparency: decoded through RGBA
        extra = chunk(b"PLTE", bytes(range(256)) * 3) + chunk(b"tRNS", bytes(range(256)))
    if text:
        extra += chunk(b"tEXt", b"Comment\x00" + text.encode())
    ihdr = (
        width.to_bytes(4, "big")
        + height.to_bytes(4, "big")
        + bytes([depth, color_type, 0, 0, int(interlace)])
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + extra
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def with_text(image: bytes, text: str) -> bytes:
    """The same PNG with a tEXt chunk after its header: new bytes, the same pixels."""
    at = 8 + 25  # signature, then the IHDR chunk
    return image[:at] + chunk(b"tEXt", b"Comment\x00" + text.encode()) + image[at:]


def jpeg(size: tuple[int, int], *, mode: str = "RGB", progressive: bool = False) -> bytes:
    """A flat JPEG, 4:4:4 (the most samples per pixel), baseline or progressive."""
    out = io.BytesIO()
    colour = (10, 200, 30, 40) if mode == "CMYK" else (10, 200, 30)
    Image.new(mode, size, colour).save(
        out, "JPEG", quality=90, subsampling=0, progressive=progressive
    )
    return out.getvalue()
