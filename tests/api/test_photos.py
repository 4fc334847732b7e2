"""Photo evidence as a driver's phone, an insurer's link and the worker see it: real HTTP, real PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import time
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from tests.api.evidence import (
    GPS_LAT,
    GPS_LON,
    keyring_of,
    outbox_done,
    phone_jpeg,
    run_worker,
    upload,
    upload_required,
)
from tests.api.flows import bearer, create_report, join


def _png_bomb(width: int, height: int) -> bytes:
    """A few kilobytes of valid PNG declaring a huge image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100_000, 9))
        + chunk(b"IEND", b"")
    )


async def _photo_rows(client, report_id: str) -> int:
    from kuaichu.keys import SERVICES

    return await client.server.app[SERVICES].pool.fetchval(
        "SELECT count(*) FROM photos WHERE report_id = $1::uuid", report_id
    )


async def test_each_required_photo_is_kept_with_its_hash_capture_time_and_place(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    for shade, kind in enumerate(("front_overview", "rear_overview", "impact_point"), start=1):
        data = phone_jpeg(shade=shade * 40)
        r = await upload(client, rid, a["party_token"], kind, data)
        assert r.status == 201, await r.text()
        photo = await r.json()
        assert photo["kind"] == kind and photo["party_label"] == "A"
        assert photo["sha256"] == hashlib.sha256(data).hexdigest()
        assert photo["size_bytes"] == len(data) and photo["media_type"] == "image/jpeg"
        assert (photo["width"], photo["height"]) == (640, 480)
        assert datetime.fromisoformat(photo["taken_at"]) == datetime(
            2026, 5, 9, 14, 30, 5, tzinfo=timezone(timedelta(hours=8))
        )
        assert photo["gps"]["lat"] == pytest.approx(GPS_LAT, abs=1e-6)
        assert photo["gps"]["lon"] == pytest.approx(GPS_LON, abs=1e-6)
        assert photo["derivatives"] == "pending"
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(a["party_token"]))
    assert (await r.json())["missing_photo_kinds"] == []


async def test_uploading_the_same_photo_again_answers_the_photo_already_kept(client, settings):
    a = await create_report(client, settings.var_dir)
    rid, data = a["report"]["id"], phone_jpeg()
    first = await upload(client, rid, a["party_token"], "front_overview", data)
    again = await upload(client, rid, a["party_token"], "front_overview", data)
    assert (first.status, again.status) == (201, 200)
    assert (await again.json())["id"] == (await first.json())["id"]
    assert await _photo_rows(client, rid) == 1
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(a["party_token"]))
    assert len((await r.json())["photos"]) == 1


@pytest.mark.parametrize(
    ("data", "status", "problem"),
    [
        (b"%PDF-1.7 this is a contract, not a photo" * 10, 415, "not-an-image"),
        (b"GIF89a" + b"\x00" * 200, 415, "unsupported-image-format"),
        (phone_jpeg()[:3000], 422, "truncated-image"),
        (_png_bomb(30_000, 30_000), 413, "image-too-large"),
    ],
    ids=["not-an-image", "gif", "truncated-jpeg", "decompression-bomb"],
)
async def test_a_file_that_is_not_a_usable_photo_is_refused_and_nothing_is_kept(
    client, settings, data, status, problem
):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    r = await upload(client, rid, a["party_token"], "front_overview", data)
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["type"] == f"/problems/{problem}"
    assert body["zh"]["detail"] and body["en"]["detail"]
    assert await _photo_rows(client, rid) == 0
    assert not list((settings.photo_dir).rglob("originals/*/*/*"))


@pytest.fixture
async def small_limit_client(settings, aiohttp_client):
    from kuaichu.app import create_app

    return await aiohttp_client(
        create_app(settings.model_copy(update={"max_photo_bytes": 64 * 1024}))
    )


async def test_a_photo_above_the_size_limit_is_refused_with_413(small_limit_client, settings):
    client = small_limit_client
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    big = phone_jpeg((2400, 1800)) + b"\x00" * 200_000
    assert len(big) > 64 * 1024
    r = await upload(client, rid, a["party_token"], "front_overview", big)
    assert r.status == 413
    assert r.content_type == "application/problem+json"
    assert (await r.json())["type"] == "/problems/payload-too-large"
    assert await _photo_rows(client, rid) == 0
    r = await upload(client, rid, a["party_token"], "front_overview", phone_jpeg((320, 240)))
    assert r.status == 201  # the connection and the report are still usable


async def test_a_huge_kind_field_is_refused_with_413_instead_of_being_read_into_memory(
    small_limit_client, settings
):
    client = small_limit_client
    a = await create_report(client, settings.var_dir)
    r = await upload(
        client, a["report"]["id"], a["party_token"], "x" * 1_000_000, phone_jpeg((320, 240))
    )
    assert r.status == 413
    assert (await r.json())["type"] == "/problems/payload-too-large"


async def test_an_unknown_photo_kind_or_a_missing_file_points_at_the_field(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    r = await upload(client, rid, a["party_token"], "selfie", phone_jpeg())
    assert r.status == 422
    assert [e["pointer"] for e in (await r.json())["errors"]] == ["#/kind"]
    r = await upload(client, rid, a["party_token"], "impact_point", None)
    assert r.status == 422
    assert [e["pointer"] for e in (await r.json())["errors"]] == ["#/file"]
    r = await client.post(
        f"/v1/reports/{rid}/photos", json={"kind": "impact_point"}, headers=bearer(a["party_token"])
    )
    assert r.status == 422
    assert await _photo_rows(client, rid) == 0


async def test_another_reports_token_gets_404_and_no_token_401_for_photos(client, settings):
    a = await create_report(client, settings.var_dir)
    other = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    r = await upload(client, rid, other["party_token"], "front_overview", phone_jpeg())
    assert r.status == 404
    r = await upload(client, rid, None, "front_overview", phone_jpeg())
    assert r.status == 401
    assert await _photo_rows(client, rid) == 0
    photo = await (
        await upload(client, rid, a["party_token"], "front_overview", phone_jpeg())
    ).json()
    original = f"/v1/reports/{rid}/photos/{photo['id']}/original"
    r = await client.get(original, headers=bearer(other["party_token"]))
    assert r.status == 404
    r = await client.get(original)
    assert r.status == 401


async def test_submitting_without_the_three_required_photos_lists_what_is_missing(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    r = await upload(client, rid, a["party_token"], "rear_overview", phone_jpeg())
    assert r.status == 201
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert r.status == 409
    problem = await r.json()
    assert problem["type"] == "/problems/evidence-incomplete"
    assert problem["missing"] == ["front_overview", "impact_point"]
    assert "侧前方全景" in problem["zh"]["detail"] and "碰撞部位" in problem["zh"]["detail"]
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(a["party_token"]))
    assert (await r.json())["status"] == "draft"


async def test_submitted_evidence_waits_for_party_b_and_the_facts_are_complete_once_b_joins(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    await upload_required(client, rid, a["party_token"])
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "awaiting_parties"
    status, b, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201, b
    assert b["report"]["status"] == "facts_complete"
    assert len(b["report"]["photos"]) == 3  # B sees A's evidence
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert (
        r.status == 200 and (await r.json())["status"] == "facts_complete"
    )  # a retry: the current state
    assert await _photo_rows(client, rid) == 3  # submitted once: nothing new


async def test_a_single_vehicle_report_has_no_share_code_and_is_complete_on_submission(
    client, settings
):
    a = await create_report(client, settings.var_dir, vehicle_count=1)
    assert a["share_code"] is None
    rid = a["report"]["id"]
    await upload_required(client, rid, a["party_token"])
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert r.status == 200
    assert (await r.json())["status"] == "facts_complete"


async def test_previews_are_made_by_the_worker_bounded_and_stripped_while_the_original_stays_intact(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    data = phone_jpeg((2000, 1500))
    photo = await (await upload(client, rid, token, "impact_point", data)).json()
    base = f"/v1/reports/{rid}/photos/{photo['id']}"

    r = await client.get(f"{base}/preview", headers=bearer(token))
    assert r.status == 409
    assert r.headers["Retry-After"]

    await run_worker(client, lambda: outbox_done(client))
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(token))
    assert (await r.json())["photos"][0]["derivatives"] == "ready"

    for variant, bound in (("preview", 1280), ("thumbnail", 256)):
        r = await client.get(f"{base}/{variant}", headers=bearer(token))
        assert r.status == 200 and r.content_type == "image/jpeg"
        im = Image.open(io.BytesIO(await r.read()))
        assert im.format == "JPEG" and max(im.size) == bound
        assert im.size[0] / im.size[1] == pytest.approx(2000 / 1500, rel=0.01)
        assert not im.getexif() and "exif" not in im.info
    r = await client.get(f"{base}/original", headers=bearer(token))
    assert r.status == 200
    assert await r.read() == data
    assert r.headers["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()


async def test_a_signed_link_opens_a_photo_without_a_token_until_it_expires_or_is_altered(
    client, settings
):
    from assessment.service import on_report_settled
    from tests.integration.assessment_setup import ctx_of, settled

    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    assert (await join(client, settings.var_dir, a["share_code"]["code"]))[0] == 201
    data = phone_jpeg()
    photo = await (await upload(client, rid, a["party_token"], "front_overview", data)).json()
    await on_report_settled(
        ctx_of(client), payload=settled(rid)
    )  # PICC and CPIC now have a task on the report
    path = f"/v1/signed/v1/reports/{rid}/photos/{photo['id']}/original"
    keyring = keyring_of(settings)
    signed = keyring.sign_path(path + "?to=insurer:PICC", ttl_s=600)

    r = await client.get(signed)
    assert r.status == 200
    assert await r.read() == data

    expired = keyring.sign_path(path + "?to=insurer:PICC", ttl_s=600, now=time.time() - 3600)
    r = await client.get(expired)
    assert r.status == 403
    assert r.content_type == "application/problem+json"

    later = signed.replace("expires=", "expires=9")  # pushing the expiry out breaks the signature
    other = keyring.sign_path(
        f"/v1/signed/v1/reports/{rid}/photos/{photo['id']}/preview?to=insurer:PICC", ttl_s=600
    )
    for tampered in (
        later,
        signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"),
        signed.replace("/original", "/thumbnail"),
        other.replace("/preview", "/original"),
        signed.replace("insurer:PICC", "insurer:CPIC"),  # another recipient's
        keyring.sign_path(path, ttl_s=600),  # a link naming no recipient
        path,
    ):
        r = await client.get(tampered)
        assert r.status == 403, tampered


def _jpeg_damaged_inside() -> bytes:
    """A JPEG whose header and end marker are intact (accepted on upload) but whose scan data is broken."""
    data = phone_jpeg()
    at = data.index(b"\xff\xda") + 300
    return (
        data[:at] + b"\xff\xc4\x00\x03\x00" + data[at:]
    )  # a bogus table in the middle of the pixels


async def test_a_photo_whose_pixels_are_damaged_says_its_preview_failed_instead_of_asking_to_wait(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid, token, data = a["report"]["id"], a["party_token"], _jpeg_damaged_inside()
    photo = await (await upload(client, rid, token, "scene", data)).json()
    await run_worker(client, lambda: outbox_done(client))
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(token))
    assert (await r.json())["photos"][0]["derivatives"] == "failed"
    r = await client.get(f"/v1/reports/{rid}/photos/{photo['id']}/preview", headers=bearer(token))
    assert r.status == 409
    assert (await r.json())["type"] == "/problems/preview-unavailable"
    assert "Retry-After" not in r.headers  # waiting will not help
    r = await client.get(f"/v1/reports/{rid}/photos/{photo['id']}/original", headers=bearer(token))
    assert await r.read() == data  # the evidence itself is intact


async def test_the_same_bytes_uploaded_again_after_their_previews_settled_share_the_outcome(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    good, damaged = phone_jpeg(shade=7), _jpeg_damaged_inside()
    for data in (good, damaged):
        assert (await upload(client, rid, token, "scene", data)).status == 201
    await run_worker(client, lambda: outbox_done(client))
    # No job runs again for bytes already rendered (or refused), so a new photo of them must not wait for one.
    for data, outcome in ((good, "ready"), (damaged, "failed")):
        again = await (await upload(client, rid, token, "other", data)).json()
        assert again["derivatives"] == outcome
