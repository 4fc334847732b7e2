"""Memory of photo derivative jobs, measured in child processes: the worst image each pixel limit allows stays
within the per-job bound, and the worker as a whole within its memory setting however many jobs are queued."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kuaichu.keys import SERVICES
from kuaichu.settings import Settings
from tests.api.evidence import upload
from tests.api.flows import create_report
from tests.images import jpeg, png, with_text
from tests.polling import poll_until

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = Settings(environment="test")
SIDE = int(DEFAULTS.max_full_decode_pixels**0.5)  # the largest square decoded in full
BASELINE_SIDE = int(DEFAULTS.max_image_pixels**0.5)

# Runs the job the worker runs on one original, with the default limits; reports its own peak resident size
# (KB, as Linux gives ru_maxrss) just before the job and after it.
_JOB = """
import json, resource, sys
from accident.photos import make_derivatives
from kuaichu.settings import Settings
s = Settings(environment="test")
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
made = make_derivatives(data, max_pixels=s.max_image_pixels, max_full_decode_pixels=s.max_full_decode_pixels)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "preview": made.preview_size}))
"""


def _child_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith("KUAICHU_") and k != "DATABASE_URL"
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: png(SIDE, SIDE, color_type=6, depth=16, interlace=True),
        lambda: png(SIDE, SIDE, color_type=3),
        lambda: png(SIDE * 16, SIDE // 16, color_type=4, depth=16),
        lambda: jpeg((SIDE, SIDE), mode="CMYK", progressive=True),
        lambda: jpeg((BASELINE_SIDE, BASELINE_SIDE)),
    ],
    ids=[
        "png-rgba-16-bit-interlaced",
        "png-palette-with-alpha",
        "png-grey-alpha-very-wide",
        "jpeg-progressive-cmyk",
        "jpeg-baseline-at-the-jpeg-limit",
    ],
)
def test_the_worst_image_each_pixel_limit_allows_renders_within_the_per_job_memory_bound(
    tmp_path, make
):
    original = tmp_path / "original"
    original.write_bytes(make())
    out = subprocess.run(
        [sys.executable, "-c", _JOB, str(original)],
        cwd=ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert max(result["preview"]) == 1280  # rendered, not refused
    job_mb = (result["after_kb"] - result["before_kb"]) / 1024
    assert job_mb <= DEFAULTS.image_job_memory_mb, f"{job_mb:.0f} MB"


# Runs the real worker for photo derivatives; when told to (a line on stdin) stops it and reports the largest
# resident size any of its children reached (the worker is its only child).
_SUPERVISE = """
import resource, signal, subprocess, sys
worker = subprocess.Popen([sys.executable, "-c", "from kuaichu.cli import main; raise SystemExit(main())",
                           "worker", "--topic", "photo.derivatives"])
sys.stdin.readline()
worker.send_signal(signal.SIGTERM)
worker.wait(60)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


async def test_the_worker_renders_many_large_images_within_its_memory_setting(client, settings):
    slots = 1
    images = 4
    memory_mb = settings.worker_reserved_mb + slots * settings.image_job_memory_mb
    a = await create_report(client, settings.var_dir)
    worst = png(SIDE, SIDE)  # RGBA
    for n in range(images):  # each the worst its limit allows; the text gives each its own bytes
        r = await upload(
            client, a["report"]["id"], a["party_token"], "scene", with_text(worst, f"photo {n}")
        )
        assert r.status == 201, await r.text()
    env = {
        **_child_env(),
        "DATABASE_URL": settings.database_url,
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_VAR_DIR": str(settings.var_dir),
        "KUAICHU_OUTBOX_POLL_S": "0.05",
        "KUAICHU_WORKER_MEMORY_MB": str(memory_mb),
    }
    assert Settings(**{"worker_memory_mb": memory_mb}).image_job_slots == slots
    supervisor = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SUPERVISE,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    pool = client.server.app[SERVICES].pool
    try:
        await poll_until(lambda: _none_pending(pool), limit_s=120, every_s=0.1)
    finally:
        out, _ = await supervisor.communicate(b"stop\n")
    assert await pool.fetchval("SELECT count(*) FROM photos WHERE derivatives = 'ready'") == images
    peak_mb = int(out.decode().strip()) / 1024
    assert peak_mb <= memory_mb, f"{peak_mb:.0f} MB"


async def _none_pending(pool) -> bool:
    return not await pool.fetchval("SELECT count(*) FROM photos WHERE derivatives = 'pending'")
