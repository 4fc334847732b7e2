"""Photo throughput: the project's inspect + derivatives against a naive pillow pipeline (BENCH.md)."""

from __future__ import annotations

import hashlib
import io
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PIL import ExifTags, Image, ImageOps
from PIL.TiffImagePlugin import IFDRational

from accident.photos import PREVIEW_PX, THUMBNAIL_PX, fit, inspect_upload, make_derivatives

NAME = "photos"
SEED = 42
THREADS = 2  # the machine has 2 cores; both pipelines get the same pool
RUNS = 3
TARGET_RATIO = 2.0
# (label, size, photos per timed run): enough work for each run to last about a second.
WORKLOADS = (
    ("12 MP JPEG (4000×3000)", (4000, 3000), 8),
    ("2 MP JPEG (1600×1200)", (1600, 1200), 32),
)


def make_photo(size: tuple[int, int], rng: random.Random) -> bytes:
    """A JPEG q90 with colour blobs under noise (so it does not compress trivially), EXIF time and GPS."""
    width, height = size
    blobs = Image.frombytes("RGB", (40, 30), rng.randbytes(3600)).resize(
        size, Image.Resampling.BICUBIC
    )
    noise = Image.frombytes("RGB", size, rng.randbytes(width * height * 3))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 1
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2026:05:09 08:15:42"
    details[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", (IFDRational(31), IFDRational(13), IFDRational(4560, 100))
    gps[3], gps[4] = "E", (IFDRational(121), IFDRational(28), IFDRational(1234, 100))
    out = io.BytesIO()
    Image.blend(blobs, noise, 0.16).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def naive(data: bytes) -> int:
    """The obvious pipeline: full decode, exif_transpose, LANCZOS from full size to both sizes, encode."""
    hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as opened:
        upright = ImageOps.exif_transpose(opened)
    written = 0
    for box in (PREVIEW_PX, THUMBNAIL_PX):
        out = io.BytesIO()
        upright.resize(fit(upright.size, box), Image.Resampling.LANCZOS).save(
            out, "JPEG", quality=85
        )
        written += out.tell()
    return written


def project(data: bytes) -> int:
    """What the service does per upload: inspect (hash, header, EXIF) then render the derivatives."""
    inspect_upload(data, max_pixels=50_000_000)
    result = make_derivatives(data)
    return len(result.preview) + len(result.thumbnail)


def photos_per_second(pipeline: Callable[[bytes], int], photos: list[bytes]) -> float:
    """Throughput of `pipeline` over `photos` on a pool of THREADS threads."""
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(pipeline, photos[:THREADS]))  # warm-up: threads started, codecs loaded
        started = time.perf_counter()
        list(pool.map(pipeline, photos))
        return len(photos) / (time.perf_counter() - started)


def _row(measure: str, ours: list[float], base: list[float], unit: str) -> dict[str, object]:
    value, baseline = statistics.median(ours), statistics.median(base)
    ratio = value / baseline
    return {
        "measure": measure,
        "value": round(value, 2),
        "baseline": round(baseline, 2),
        "ratio": round(ratio, 2),
        "target": f"≥ {TARGET_RATIO:g}× baseline",
        "met": ratio >= TARGET_RATIO,
        "spread": f"{min(ours):.2f}–{max(ours):.2f} (baseline {min(base):.2f}–{max(base):.2f})",
        "unit": unit,
    }


def run() -> list[dict[str, object]]:
    """Median of RUNS runs per workload, the baseline measured in the same run, alternating the two."""
    rng = random.Random(SEED)
    rows = []
    for label, size, count in WORKLOADS:
        photo = make_photo(size, rng)
        photos = [photo] * count  # the same bytes each time: pillow caches nothing between opens
        ours, base = [], []
        for _ in range(RUNS):
            base.append(photos_per_second(naive, photos))
            ours.append(photos_per_second(project, photos))
        unit = f"photos/s ({THREADS} threads, {len(photo) / 1e6:.1f} MB each)"
        rows.append(_row(f"inspect + derivatives, {label}", ours, base, unit))
    return rows


def main() -> None:
    """Print the rows as the markdown table of BENCH.md."""
    print("| measure | value | baseline | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for row in run():
        print(
            f"| {row['measure']} | {row['value']} {row['unit']} [{row['spread']}] | {row['baseline']} | "
            f"{row['ratio']}× | {row['target']} | {'yes' if row['met'] else 'no'} |"
        )
    print(
        "\nBaseline: Image.open → full decode → exif_transpose → LANCZOS to 1280 and 256 px → JPEG both,"
        " plus SHA-256.\nUpload latency and event-loop lag need the upload endpoint; not measured here."
    )


if __name__ == "__main__":
    main()
