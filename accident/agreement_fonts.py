"""The agreement's fonts: Debian font packages found at run time, cut per document to the characters it uses.

WenQuanYi Zen Hei (`fonts-wqy-zenhei`) draws the text: TrueType outlines covering GB 18030's unified ideographs and
all of Extension A. HanaMin A and B (`fonts-hanazono`) draw what it lacks, Extension B to F included. HarfBuzz cuts
each document's subset in milliseconds from a face loaded once per process and never changed afterwards, so a
rendering never parses a 20-30 MB font and no two renderings share a mutable font object.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import uharfbuzz as hb

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_SUBSET_LOCK = (
    threading.Lock()
)  # subsetting is milliseconds: serialising it costs nothing and assumes nothing


@dataclass(frozen=True, slots=True)
class FontFile:
    family: str
    file_name: str
    package: str  # the Debian package that ships it
    directory: str  # where that package puts it, under a font directory
    index: int = 0  # the face in a TrueType collection


BASE = FontFile("zenhei", "wqy-zenhei.ttc", "fonts-wqy-zenhei", "truetype/wqy")
FALLBACKS = (
    FontFile("hanamina", "HanaMinA.ttf", "fonts-hanazono", "truetype/hanazono"),
    FontFile("hanaminb", "HanaMinB.ttf", "fonts-hanazono", "truetype/hanazono"),
)
FONTS = (BASE, *FALLBACKS)


class FontMissing(RuntimeError):
    """A font file the agreement needs is not installed; the message names the Debian package."""


def locate(font: FontFile) -> Path:
    """The font file under the system font directories: where Debian puts it, else wherever it is found there."""
    for root in FONT_DIRS:
        if (root / font.directory / font.file_name).is_file():
            return root / font.directory / font.file_name
    for root in FONT_DIRS:
        found = sorted(root.rglob(font.file_name)) if root.is_dir() else []
        if found:
            return found[0]
    raise FontMissing(
        f"font file {font.file_name} not found under {', '.join(map(str, FONT_DIRS))}: "
        f"install the Debian package {font.package} (apt-get install -y {font.package})"
    )


@cache
def _face(font: FontFile) -> tuple[hb.Face, frozenset[int]]:
    face = hb.Face(hb.Blob.from_file_path(str(locate(font))), font.index)
    return face, frozenset(face.unicodes)


def drawable(ch: str) -> bool:
    """Whether a character is something a font draws (not a control, format, surrogate or unassigned one)."""
    return unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp")


def covered(chars: set[str]) -> set[str]:
    """The characters some shipped font draws."""
    points = {ord(c) for c in chars if drawable(c)}
    known: set[int] = set()
    for font in FONTS:
        known |= points & _face(font)[1]
        if known == points:
            break
    return {chr(p) for p in known}


def write_subsets(chars: set[str], directory: Path) -> list[tuple[str, Path]]:
    """Write, per font that draws some of `chars` (first font first), a subset of it; return (family, path)."""
    wanted = {ord(c) for c in chars}
    out = []
    for i, font in enumerate(FONTS):
        if i > 0 and not wanted:
            break  # a fallback font is not even loaded unless the document needs it
        face, points = _face(font)
        mine = wanted & points
        if not mine and i > 0:
            continue
        wanted -= mine
        inp = hb.SubsetInput()
        inp.unicode_set.update(mine)
        inp.flags = hb.SubsetFlags.GLYPH_NAMES | hb.SubsetFlags.NO_HINTING
        for tag in (
            "EBDT",
            "EBLC",
            "EBSC",
            "GSUB",
            "GPOS",
        ):  # embedded bitmaps and layout are not used
            inp.sets(hb.SubsetInputSets.DROP_TABLE_TAG).add(int.from_bytes(tag.encode(), "big"))
        with _SUBSET_LOCK:
            subset = hb.subset(face, inp)
        path = directory / f"{font.family}.ttf"
        path.write_bytes(subset.blob.data)
        out.append((font.family, path))
    return out
