"""Near-duplicate photos across reports: re-encoded, halved or cropped copies are flagged on both reports with
their evidence; a thousand unrelated photos are not. Hashes and lookups run in the real PostgreSQL."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from accident.anomalies import SimilarityPolicy, near_duplicates, store_hashes
from accident.photo_similarity import variant_hashes
from kuaichu.db import connect
from tests.api.evidence import outbox_done, run_worker, staff_token, upload
from tests.api.flows import bearer, create_report


def scene(seed: int, size: tuple[int, int] = (1280, 960)) -> Image.Image:
    """A photo-like picture: smooth light, a few objects, sensor noise (seeded)."""
    r = np.random.default_rng(seed)
    im = Image.fromarray(r.integers(0, 255, (4, 5, 3), dtype=np.uint8)).resize(
        size, Image.Resampling.BICUBIC
    )
    draw = ImageDraw.Draw(im)
    for _ in range(8):
        x, y = int(r.integers(0, size[0])), int(r.integers(0, size[1]))
        w, h = (
            int(r.integers(size[0] // 16, size[0] // 2)),
            int(r.integers(size[1] // 16, size[1] // 2)),
        )
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(c) for c in r.integers(0, 255, 3)))
    noise = Image.fromarray(r.integers(0, 60, (size[1], size[0], 3), dtype=np.uint8))
    return Image.blend(im.filter(ImageFilter.GaussianBlur(3)), noise, 0.2)


def jpeg(im: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=quality)
    return out.getvalue()


def altered(im: Image.Image, how: str, rng: np.random.Generator) -> Image.Image:
    if how == "quality 70":
        return Image.open(io.BytesIO(jpeg(im, 70)))
    if how == "half size":
        return im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    left, top, right, bottom = rng.uniform(0, 0.05, 4)  # up to 5 % off each side
    return im.crop(
        (
            int(im.width * left),
            int(im.height * top),
            im.width - int(im.width * right),
            im.height - int(im.height * bottom),
        )
    )


async def test_copies_are_found_and_a_thousand_unrelated_photos_are_not(settings):
    rng = np.random.default_rng(42)
    policy = SimilarityPolicy(settings.anomaly_phash_max_bits, settings.anomaly_dhash_max_bits)
    conn = await connect(settings.database_url)
    try:
        unrelated = await asyncio.to_thread(
            lambda: [variant_hashes(scene(10_000 + i, (160, 120))) for i in range(1000)]
        )
        for i, variants in enumerate(unrelated):
            await store_hashes(conn, sha256=f"unrelated-{i}", variants=variants)
        false = [
            i
            for i in range(1000)
            if await near_duplicates(conn, sha256=f"unrelated-{i}", policy=policy)
        ]
        assert false == []
        missed = []
        for s in range(10):
            original = scene(s)
            await store_hashes(conn, sha256=f"original-{s}", variants=variant_hashes(original))
            for how in ("quality 70", "half size", "cropped"):
                key = f"copy-{s}-{how}"
                await store_hashes(
                    conn, sha256=key, variants=variant_hashes(altered(original, how, rng))
                )
                found = {
                    r["sha256"] for r in await near_duplicates(conn, sha256=key, policy=policy)
                }
                if f"original-{s}" not in found:
                    missed.append(key)
                assert not any(f.startswith("unrelated-") for f in found)
        assert missed == []
    finally:
        await conn.close()


@pytest.mark.timeout(240)
async def test_a_photo_reused_in_another_report_is_flagged_on_both_for_police_with_its_evidence(
    client, settings
):
    original = scene(7)
    first = await create_report(client, settings.var_dir)
    second = await create_report(client, settings.var_dir)
    r = await upload(client, first["report"]["id"], first["party_token"], "scene", jpeg(original))
    assert r.status == 201, await r.text()
    copy = altered(
        altered(original, "cropped", np.random.default_rng(1)),
        "half size",
        np.random.default_rng(1),
    )
    r = await upload(client, second["report"]["id"], second["party_token"], "scene", jpeg(copy, 70))
    assert r.status == 201, await r.text()
    unrelated = await create_report(client, settings.var_dir)
    r = await upload(
        client, unrelated["report"]["id"], unrelated["party_token"], "scene", jpeg(scene(8))
    )
    assert r.status == 201
    await run_worker(client, lambda: outbox_done(client), limit_s=120)

    admin = await staff_token(settings, "admin")
    r = await client.get("/v1/police/anomalies", headers=bearer(admin))
    assert r.status == 200, await r.text()
    flags = (await r.json())["flags"]
    by_report = {f["report_id"]: f for f in flags}
    assert set(by_report) == {first["report"]["id"], second["report"]["id"]}
    evidence = by_report[second["report"]["id"]]["evidence"]
    assert evidence["other_report_id"] == first["report"]["id"]
    assert evidence["phash_distance_bits"] <= 8 and evidence["dhash_distance_bits"] <= 10
    assert evidence["identical_bytes"] is False
    assert all(f["kind"] == "near_duplicate_photo" for f in flags)
    r = await client.get(f"/v1/reports/{second['report']['id']}/audit", headers=bearer(admin))
    assert any(e["entity"] == "anomaly_flag" for e in (await r.json())["events"])
