"""What a refused photo upload leaves behind (nothing), per-report quotas, and pixel limits per format: real
HTTP, real PostgreSQL, the real photo directory."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api.evidence import phone_jpeg, upload
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties
from tests.api.flows import create_report
from tests.images import jpeg, png

MAX_PHOTOS = 4
MAX_BYTES = 300_000


def _files(photo_dir: Path) -> set[Path]:
    """Every file under the photo directory, temporary `.part` files included."""
    return {p for p in photo_dir.rglob("*") if p.is_file()} if photo_dir.exists() else set()


def _padded(size: int, shade: int = 0) -> bytes:
    """A phone JPEG of exactly `size` bytes (a vendor trailer after the end marker, as some phones write)."""
    data = phone_jpeg(shade=shade)
    return data + b"\x00" * (size - len(data))


@pytest.fixture
async def limited(settings, aiohttp_client):
    from kuaichu.app import create_app

    limits = {"max_photos_per_report": MAX_PHOTOS, "max_photo_bytes_per_report": MAX_BYTES}
    return await aiohttp_client(create_app(settings.model_copy(update=limits)))


async def _another_partys_report(client: Any, settings: Any) -> Any:
    mine = await create_report(client, settings.var_dir)
    theirs = await create_report(client, settings.var_dir)
    return lambda: upload(
        client, theirs["report"]["id"], mine["party_token"], "scene", phone_jpeg(shade=99)
    )


async def _a_report_past_its_evidence(client: Any, settings: Any) -> Any:
    case = await report_with_parties(client, settings)
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    assert state["status"] == "proposed"
    return lambda: upload(client, case.report_id, case.tokens["A"], "scene", phone_jpeg(shade=99))


async def _beyond_the_photo_count(client: Any, settings: Any) -> Any:
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    for shade in range(MAX_PHOTOS):
        assert (
            await upload(client, rid, token, "scene", phone_jpeg(shade=shade + 1))
        ).status == 201
    return lambda: upload(client, rid, token, "scene", phone_jpeg(shade=99))


async def _beyond_the_reports_bytes(client: Any, settings: Any) -> Any:
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    assert (
        await upload(client, rid, token, "scene", _padded(MAX_BYTES - 50_000, shade=1))
    ).status == 201
    return lambda: upload(client, rid, token, "scene", _padded(60_000, shade=2))


async def _not_an_image(client: Any, settings: Any) -> Any:
    a = await create_report(client, settings.var_dir)
    return lambda: upload(
        client, a["report"]["id"], a["party_token"], "scene", b"%PDF-1.7 a contract" * 50
    )


Scenario = Callable[[Any, Any], Awaitable[Callable[[], Awaitable[Any]]]]


@pytest.mark.parametrize(
    ("scenario", "status", "problem"),
    [
        (_another_partys_report, 404, "report-not-found"),
        (_a_report_past_its_evidence, 409, "illegal-transition"),
        (_beyond_the_photo_count, 409, "too-many-photos"),
        (_beyond_the_reports_bytes, 409, "photo-quota-exceeded"),
        (_not_an_image, 415, "not-an-image"),
    ],
    ids=[
        "another-partys-report",
        "report-past-its-evidence",
        "beyond-the-photo-count",
        "beyond-the-reports-bytes",
        "not-an-image",
    ],
)
async def test_a_refused_upload_says_why_and_leaves_no_file_behind(
    limited, settings, scenario: Scenario, status: int, problem: str
):
    attempt = await scenario(limited, settings)
    before = _files(settings.photo_dir)
    r = await attempt()
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["type"] == f"/problems/{problem}"
    assert body["zh"]["detail"] and body["en"]["detail"]
    assert _files(settings.photo_dir) == before  # no original, no temporary .part file


async def test_the_report_quota_explains_the_limit_in_both_languages_and_a_photo_already_kept_still_answers(
    limited, settings
):
    a = await create_report(limited, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    first = _padded(MAX_BYTES - 50_000, shade=1)
    assert (await upload(limited, rid, token, "scene", first)).status == 201
    r = await upload(limited, rid, token, "scene", _padded(60_000, shade=2))
    problem = await r.json()
    assert (problem["max_bytes"], problem["used_bytes"], problem["photo_bytes"]) == (
        MAX_BYTES,
        len(first),
        60_000,
    )
    assert "MB" in problem["zh"]["detail"] and "MB" in problem["en"]["detail"]
    assert (
        await upload(limited, rid, token, "scene", first)
    ).status == 200  # the same photo again: kept already
    assert (
        await upload(limited, rid, token, "scene", _padded(40_000, shade=3))
    ).status == 201  # still fits


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda: png(4001, 4000), 413),
        (lambda: png(20_000, 1_000, color_type=3), 413),
        (lambda: jpeg((4001, 4000), progressive=True), 413),
        (lambda: jpeg((4001, 4000)), 201),
    ],
    ids=[
        "png-above-16-mp",
        "palette-png-above-16-mp",
        "progressive-jpeg-above-16-mp",
        "baseline-jpeg-of-16-mp",
    ],
)
async def test_an_image_above_its_formats_pixel_limit_is_refused_at_upload(
    client, settings, make, status
):
    a = await create_report(client, settings.var_dir)
    before = _files(settings.photo_dir)
    r = await upload(client, a["report"]["id"], a["party_token"], "scene", make())
    assert r.status == status, await r.text()
    if status == 413:
        problem = await r.json()
        assert problem["type"] == "/problems/image-too-large"
        assert problem["max_pixels"] == settings.max_full_decode_pixels
        assert "PNG" in problem["zh"]["detail"] and "decoded in full" in problem["en"]["detail"]
        assert _files(settings.photo_dir) == before


async def test_after_a_failed_commit_only_a_file_no_photo_or_signature_refers_to_is_taken_back(
    client, settings
):
    from accident.photo_service import discard_unreferenced
    from kuaichu.keys import SERVICES

    services = client.server.app[SERVICES]
    a = await create_report(client, settings.var_dir)
    kept = await (
        await upload(client, a["report"]["id"], a["party_token"], "scene", phone_jpeg(shade=5))
    ).json()
    stray = phone_jpeg(shade=6)
    stray_sha = hashlib.sha256(stray).hexdigest()
    await services.photos.put_original(
        stray_sha, stray
    )  # as a transaction whose commit then failed leaves it
    for sha in (kept["sha256"], stray_sha):
        await discard_unreferenced(services.pool, services.photos, sha)
    assert await services.photos.size(kept["sha256"]) == kept["size_bytes"]
    assert await services.photos.size(stray_sha) is None
