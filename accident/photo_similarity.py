"""Perceptual hashes of a photo, to find the same scene photographed once and sent with two reports (re-encoded,
resized or slightly cropped): a 64-bit pHash (low frequencies of the DCT of a 32×32 grey image against their
median) and a 64-bit dHash (brightness gradients of a 9×8 grey image). Borders of one colour are trimmed first;
the caller passes the upright image (EXIF orientation applied), as the preview is.

Pure pillow and numpy: callable from any thread or process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops

BANDS = (
    4  # 16-bit bands of the pHash: two hashes within 3 bits agree on at least one band (pigeonhole)
)
_BORDER_TOLERANCE = 16


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


_DCT32 = _dct_matrix(32)


@dataclass(frozen=True, slots=True)
class PerceptualHashes:
    phash: int  # unsigned 64-bit
    dhash: int

    def bands(self) -> tuple[int, ...]:
        return tuple((self.phash >> (16 * i)) & 0xFFFF for i in range(BANDS))


def trim_borders(im: Image.Image) -> Image.Image:
    """Without the frame of (nearly) one colour that letterboxing or a screenshot adds; the image if none."""
    rgb = im.convert("RGB")
    corner = rgb.getpixel((0, 0))
    background = Image.new("RGB", rgb.size, corner)
    diff = (
        ImageChops.difference(rgb, background)
        .convert("L")
        .point(lambda v: 255 if v > _BORDER_TOLERANCE else 0)
    )
    box = diff.getbbox()
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) < 0.5 * rgb.size[0] * rgb.size[1]:
        return rgb  # a frame around less than half the picture is the picture itself
    return rgb.crop(box)


# The whole picture, its centre 90 %, and 95 % anchored at each corner: a copy cropped by up to 5 % on any side
# is close to one of these of the original (and the original to one of the copy's).
VARIANTS = (
    (0, 0, 0, 0),
    (0.05, 0.05, 0.05, 0.05),
    (0.05, 0.05, 0, 0),
    (0, 0.05, 0.05, 0),
    (0.05, 0, 0, 0.05),
    (0, 0, 0.05, 0.05),
)


def variant_hashes(upright: Image.Image) -> list[PerceptualHashes]:
    """The hashes of each VARIANTS crop of the trimmed, grey picture (index = variant number)."""
    grey = trim_borders(upright).convert("L")
    w, h = grey.size
    return [
        _hashes(grey.crop((int(w * left), int(h * top), w - int(w * right), h - int(h * bottom))))
        for left, top, right, bottom in VARIANTS
    ]


def hashes(upright: Image.Image) -> PerceptualHashes:
    return _hashes(trim_borders(upright).convert("L"))


def _hashes(grey: Image.Image) -> PerceptualHashes:
    small = np.asarray(grey.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float64)
    low = (_DCT32 @ small @ _DCT32.T)[:8, :8].flatten()
    p_bits = low > np.median(low[1:])  # the DC term sets the overall brightness, not the structure
    d = np.asarray(grey.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    d_bits = (d[:, 1:] > d[:, :-1]).flatten()
    return PerceptualHashes(_pack(p_bits), _pack(d_bits))


def _pack(bits: np.ndarray) -> int:
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value


def signed(value: int) -> int:
    """An unsigned 64-bit hash as PostgreSQL's bigint holds it."""
    return value - (1 << 64) if value >= 1 << 63 else value


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
