"""Resumable photo uploads as a phone on a weak network uses them: real HTTP on loopback (a raw socket for a
connection cut mid-chunk), real PostgreSQL, the real photo directory and spool."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from kuaichu.housekeeping import sweep_once
from kuaichu.keys import SERVICES
from tests.api.driver_steps import CHUNK, declare, grainy_photo, send, send_all
from tests.api.evidence import phone_jpeg, upload
from tests.api.flows import bearer, create_report


def _spool_files(settings: Any) -> list[str]:
    d = settings.upload_dir
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


async def _rows(client: Any, sql: str, *args: Any) -> Any:
    return await client.server.app[SERVICES].pool.fetch(sql, *args)


async def test_a_photo_sent_in_chunks_is_the_same_photo_as_a_one_shot_upload(client, settings):
    data = grainy_photo()
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    r = await declare(client, rid, token, data)
    assert r.status == 201, await r.text()
    started = await r.json()
    location = r.headers["Location"]
    assert location == f"/v1/reports/{rid}/photos/uploads/{started['upload_id']}"
    assert (started["offset"], started["status"], started["chunk_max_bytes"]) == (
        0,
        "receiving",
        512 * 1024,
    )
    assert len(data) > 3 * 64 * 1024
    last = await send_all(client, location, token, data, 64 * 1024)
    assert last.status == 200
    done = await last.json()
    assert done["status"] == "complete" and done["offset"] == len(data)
    photo = done["photo"]
    # The same bytes as a one-shot multipart upload in another report: the same checks, the same facts.
    b = await create_report(client, settings.var_dir)
    one_shot = await (
        await upload(client, b["report"]["id"], b["party_token"], "front_overview", data)
    ).json()
    same = (
        "kind",
        "sha256",
        "size_bytes",
        "media_type",
        "width",
        "height",
        "taken_at",
        "gps",
        "derivatives",
    )
    assert {k: photo[k] for k in same} == {k: one_shot[k] for k in same}
    assert photo["sha256"] == hashlib.sha256(data).hexdigest() and photo["party_label"] == "A"
    # The original is kept byte for byte; the report lists it; the previews are queued like any photo's.
    assert last.headers["Content-Location"] == f"/v1/reports/{rid}/photos/{photo['id']}/original"
    r = await client.get(last.headers["Content-Location"], headers=bearer(token))
    assert await r.read() == data
    report = await (await client.get(f"/v1/reports/{rid}", headers=bearer(token))).json()
    assert [p["id"] for p in report["photos"]] == [photo["id"]]
    jobs = await _rows(
        client,
        "SELECT count(*) AS n FROM outbox WHERE dedupe_key = $1",
        f"photo.derivatives:{photo['sha256']}",
    )
    assert jobs[0]["n"] == 1
    assert _spool_files(settings) == []  # the spooled bytes went into the photo store
    audit = await _rows(
        client,
        "SELECT action FROM audit_events WHERE entity = 'photo' AND entity_id = $1",
        photo["id"],
    )
    assert [e["action"] for e in audit] == ["uploaded"]


async def _cut_mid_chunk(
    client: Any, path: str, token: str, offset: int, chunk: bytes, sent: int
) -> None:
    """Send a PATCH whose body stops after `sent` of its bytes, then close the connection (a lost signal)."""
    _, writer = await asyncio.open_connection(client.server.host, client.server.port)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: {client.server.host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {CHUNK}\r\nUpload-Offset: {offset}\r\nContent-Length: {len(chunk)}\r\n\r\n"
    )
    writer.write(head.encode() + chunk[:sent])
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.2)


async def test_a_connection_cut_mid_chunk_resumes_from_the_offset_head_tells(client, settings):
    data = grainy_photo(shade=9)
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    location = (await declare(client, rid, token, data)).headers["Location"]
    first = 100_000
    r = await send(client, location, token, 0, data[:first])
    assert (r.status, r.headers["Upload-Offset"]) == (204, str(first))
    await _cut_mid_chunk(client, location, token, first, data[first : first + 200_000], sent=50_000)
    head = await client.head(location, headers=bearer(token))
    assert head.status == 200
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (
        str(first),
        str(len(data)),
    )
    assert head.headers["Upload-Status"] == "receiving"
    last = await send_all(
        client, location, token, data, 200_000, start=int(head.headers["Upload-Offset"])
    )
    photo = (await last.json())["photo"]
    assert photo["sha256"] == hashlib.sha256(data).hexdigest()
    rows = await _rows(client, "SELECT id FROM photos WHERE report_id = $1::uuid", rid)
    assert [str(x["id"]) for x in rows] == [photo["id"]]


async def test_a_wrong_offset_is_refused_with_the_stored_offset_and_a_resent_chunk_is_harmless(
    client, settings
):
    data = grainy_photo(shade=11)
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    location = (await declare(client, rid, token, data)).headers["Location"]
    assert (await send(client, location, token, 0, data[:50_000])).status == 204
    ahead = await send(client, location, token, 80_000, data[80_000:90_000])
    assert ahead.status == 409 and ahead.content_type == "application/problem+json"
    problem = await ahead.json()
    assert problem["type"] == "/problems/upload-offset-mismatch" and problem["offset"] == 50_000
    assert "50000" in problem["zh"]["detail"] and "50000" in problem["en"]["detail"]
    # The first chunk again (its answer was lost): nothing changes.
    again = await send(client, location, token, 0, data[:50_000])
    assert (again.status, again.headers["Upload-Offset"]) == (204, "50000")
    # Overlapping the stored bytes with the same bytes: only the new part is added.
    overlap = await send(client, location, token, 40_000, data[40_000:70_000])
    assert (overlap.status, overlap.headers["Upload-Offset"]) == (204, "70000")
    # Other bytes where bytes are stored: refused, the stored ones stay.
    other = await send(client, location, token, 60_000, b"\xff" * 20_000)
    assert other.status == 409 and (await other.json())["offset"] == 70_000
    # More than 512 KB at once, or beyond the declared size.
    big = await send(client, location, token, 70_000, b"\x00" * (512 * 1024 + 1))
    assert big.status == 413 and (await big.json())["type"] == "/problems/chunk-too-large"
    beyond = await send(client, location, token, 70_000, data[70_000:] + b"\x00")
    assert (
        beyond.status == 422 and (await beyond.json())["type"] == "/problems/upload-beyond-length"
    )
    # Without the offset header.
    r = await client.patch(location, data=b"x", headers={**bearer(token), "Content-Type": CHUNK})
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/headers/Upload-Offset"
    last = await send_all(client, location, token, data, 300_000, start=70_000)
    assert (await last.json())["photo"]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_bytes_that_do_not_match_the_declared_hash_are_discarded(client, settings):
    data = grainy_photo(shade=13)
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    r = await declare(client, rid, token, data, sha256=hashlib.sha256(b"another photo").hexdigest())
    location = r.headers["Location"]
    assert (await send(client, location, token, 0, data[:100_000])).status == 204
    assert _spool_files(settings) == [(await r.json())["upload_id"]]
    last = await send(client, location, token, 100_000, data[100_000:])
    assert last.status == 422
    problem = await last.json()
    assert problem["type"] == "/problems/upload-sha256-mismatch"
    assert problem["received_sha256"] == hashlib.sha256(data).hexdigest()
    assert _spool_files(settings) == []
    assert (
        await _rows(client, "SELECT count(*) AS n FROM photos WHERE report_id = $1::uuid", rid)
    )[0]["n"] == 0
    state = await (await client.get(location, headers=bearer(token))).json()
    assert (
        state["status"] == "failed"
        and state["failure"]["type"] == "/problems/upload-sha256-mismatch"
    )
    again = await send(client, location, token, 0, data[:10])
    assert again.status == 409 and (await again.json())["type"] == "/problems/upload-failed"
    # Declaring it again with the right hash starts afresh.
    r = await declare(client, rid, token, data)
    assert r.status == 201
    assert (await send_all(client, r.headers["Location"], token, data, 400_000)).status == 200


async def test_an_unfinished_upload_expires_and_its_bytes_are_deleted(client, settings):
    data = grainy_photo(shade=15)
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    r = await declare(client, rid, token, data)
    location, upload_id = r.headers["Location"], (await r.json())["upload_id"]
    assert (await send(client, location, token, 0, data[:100_000])).status == 204
    assert _spool_files(settings) == [upload_id]
    services = client.server.app[SERVICES]
    await sweep_once(services.pool, uploads=services.uploads)  # not yet due: kept
    assert _spool_files(settings) == [upload_id]
    await services.pool.execute(
        "UPDATE photo_uploads SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
        upload_id,
    )
    late = await send(client, location, token, 100_000, data[100_000:200_000])
    assert late.status == 410 and (await late.json())["type"] == "/problems/upload-expired"
    await sweep_once(services.pool, uploads=services.uploads)
    assert _spool_files(settings) == []
    head = await client.head(location, headers=bearer(token))
    assert (head.headers["Upload-Status"], head.headers["Upload-Offset"]) == ("expired", "0")
    # Declared again, the photo starts over.
    again = await declare(client, rid, token, data)
    assert again.status == 201 and (await again.json())["upload_id"] != upload_id


async def test_completing_twice_or_declaring_again_never_makes_a_secondgrainy_photo(
    client, settings
):
    data = grainy_photo(shade=17)
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    r = await declare(client, rid, token, data)
    location = r.headers["Location"]
    again = await declare(client, rid, token, data)  # the answer to the first declaration was lost
    assert again.status == 200 and again.headers["Location"] == location
    half = len(data) // 2
    assert (await send(client, location, token, 0, data[:half])).status == 204
    resumed = await declare(client, rid, token, data)
    assert (await resumed.json())["offset"] == half
    first, second = await asyncio.gather(
        send(client, location, token, half, data[half:]),
        send(client, location, token, half, data[half:]),
    )
    assert (first.status, second.status) == (200, 200)
    ids = {(await first.json())["photo"]["id"], (await second.json())["photo"]["id"]}
    assert len(ids) == 1
    third = await send(client, location, token, half, data[half:])
    assert (await third.json())["photo"]["id"] in ids
    rows = await _rows(client, "SELECT count(*) AS n FROM photos WHERE report_id = $1::uuid", rid)
    assert rows[0]["n"] == 1


async def test_what_can_be_refused_before_a_byte_is_sent_is_refused_at_declaration(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    r = await client.post(
        f"/v1/reports/{rid}/photos/uploads",
        headers=bearer(token),
        json={
            "kind": "front_overview",
            "size_bytes": settings.max_photo_bytes + 1,
            "sha256": "0" * 64,
        },
    )
    assert r.status == 413 and (await r.json())["errors"][0]["pointer"] == "#/size_bytes"
    r = await client.post(
        f"/v1/reports/{rid}/photos/uploads",
        headers=bearer(token),
        json={"kind": "selfie", "size_bytes": 10, "sha256": "xyz"},
    )
    assert r.status == 422
    assert {e["pointer"] for e in (await r.json())["errors"]} == {"#/kind", "#/sha256"}
    # Another party's report, or another party's upload: not found.
    other = await create_report(client, settings.var_dir)
    r = await declare(client, other["report"]["id"], token, grainy_photo())
    assert r.status == 404
    mine = (await declare(client, rid, token, grainy_photo())).headers["Location"]
    r = await client.head(
        mine.replace(rid, other["report"]["id"]), headers=bearer(other["party_token"])
    )
    assert r.status == 404


@pytest.fixture
async def two_photos_a_report(settings, aiohttp_client):
    from kuaichu.app import create_app

    return await aiohttp_client(
        create_app(settings.model_copy(update={"max_photos_per_report": 2}))
    )


async def test_uploads_under_way_count_towards_the_reports_photo_limit(
    two_photos_a_report, settings
):
    client = two_photos_a_report
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    assert (await upload(client, rid, token, "scene", phone_jpeg(shade=1))).status == 201
    assert (await declare(client, rid, token, grainy_photo(shade=2))).status == 201
    r = await declare(client, rid, token, grainy_photo(shade=3))
    assert r.status == 409 and (await r.json())["type"] == "/problems/too-many-photos"
