"""The drawn signature sent with a signing: only a complete, decodable PNG within the size and pixel limits is
kept, and only once the signing succeeds (real HTTP, real PostgreSQL, the real photo directory)."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, jpeg, report_with_parties, respond
from tests.api.flows import bearer, last_code
from tests.images import chunk, png


def _files(photo_dir: Path) -> set[Path]:
    return {p for p in photo_dir.rglob("*") if p.is_file()}


def _signature() -> bytes:
    im = Image.new("LA", (600, 200), (255, 0))
    im.paste((0, 255), (40, 90, 560, 110))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def _damaged_pixels() -> bytes:
    """Header, checksums and end intact; the compressed pixel stream inside is broken."""
    data = _signature()
    at = data.index(b"IDAT") + 4
    length = int.from_bytes(data[at - 8 : at - 4], "big")
    body = bytearray(data[at : at + length])
    body[len(body) // 2 :] = b"\xff" * (len(body) - len(body) // 2)
    return data[: at - 8] + chunk(b"IDAT", bytes(body)) + data[at + length + 4 :]


def _bomb() -> bytes:
    """A few hundred bytes declaring 30000×30000 pixels."""
    ihdr = (30_000).to_bytes(4, "big") * 2 + bytes([8, 6, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"x\x9c\x03\x00\x00\x00\x00\x01")
        + chunk(b"IEND", b"")
    )


async def _accepted(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, v)).status == 200
    return case, v


@pytest.mark.parametrize(
    "image",
    [
        lambda: _signature()[: len(_signature()) // 2],
        lambda: jpeg(40),
        _bomb,
        lambda: png(2100, 2000),
        _damaged_pixels,
    ],
    ids=["truncated-png", "jpeg", "png-bomb", "png-above-4-mp", "png-with-damaged-pixels"],
)
async def test_a_signature_that_is_not_a_whole_png_within_limits_is_refused_and_the_code_still_works(
    client, settings, image
):
    case, v = await _accepted(client, settings)
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    assert r.status == 202
    code = last_code(settings.var_dir, case.phones["A"])
    before = _files(settings.photo_dir)
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": code,
        "signature_png_base64": base64.b64encode(image()).decode(),
    }
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 422, await r.text()
    problem = await r.json()
    assert r.content_type == "application/problem+json"
    assert [e["pointer"] for e in problem["errors"]] == ["#/signature_png_base64"]
    assert "PNG" in problem["zh"]["detail"] or "像素" in problem["zh"]["detail"]
    assert _files(settings.photo_dir) == before
    r = await client.get(case.url(), headers=bearer(case.tokens["A"]))
    assert (await r.json())["signatures"] == []

    good = _signature()
    body["signature_png_base64"] = base64.b64encode(good).decode()
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 200, await r.text()  # the refused image did not spend the code
    added = _files(settings.photo_dir) - before
    assert [p.name for p in added] == [hashlib.sha256(good).hexdigest()]


async def test_a_signing_refused_for_the_reports_state_keeps_no_signature_image(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    assert (await respond(client, case, "A", v)).status == 200  # B has not accepted yet
    before = _files(settings.photo_dir)
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": "123456",
        "signature_png_base64": base64.b64encode(_signature()).decode(),
    }
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 409, await r.text()
    assert (await r.json())["type"] == "/problems/illegal-transition"
    assert _files(settings.photo_dir) == before
