"""The worker's housekeeping removes what crashed photo writes left (`.part` files) and nothing else."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

from accident.storage import LocalPhotoStore
from kuaichu.db import create_pool
from tests.polling import poll_until


def _part(directory: Path, name: str, age_s: float) -> Path:
    """A temporary file as an interrupted write leaves it, last written `age_s` ago."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"half a photo")
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


async def test_housekeeping_sweeps_stale_part_files_and_keeps_fresh_ones_and_every_stored_photo(
    database_url, tmp_path
):
    from kuaichu.housekeeping import housekeeping

    store = LocalPhotoStore(tmp_path / "photos")
    data = b"an original photo"
    sha = hashlib.sha256(data).hexdigest()
    await store.put_original(sha, data)
    await store.put_derivative(sha, "preview", b"a preview")
    stale = [
        _part(store.path_for(sha).parent, ".tmp-crashed.part", 7200),
        _part(store.path_for(sha, "preview").parent, ".tmp-crashed-too.part", 7200),
    ]
    fresh = _part(store.path_for(sha).parent, ".tmp-being-written.part", 5)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        stop = asyncio.Event()
        task = asyncio.create_task(
            housekeeping(pool, stop, every_s=60, photos=store, stale_part_s=3600)
        )
        await poll_until(lambda: not any(p.exists() for p in stale), limit_s=5)
        stop.set()
        await task
    finally:
        await pool.close()
    assert not any(p.exists() for p in stale)
    assert fresh.exists()
    assert await store.read(sha) == data and await store.read(sha, "preview") == b"a preview"
