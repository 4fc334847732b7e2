"""The fault flow as the parties' phones and the police workbench drive it (shared by API tests)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from PIL import Image

from kernel.crypto import Keyring
from tests.api.flows import FIXTURE_ZONES, bearer, create_report, join, last_code

REAR_END = {"junction": "none", "collision": "rear_end"}
A_REAR_ENDS_B = {
    "A": {"context": REAR_END, "movement": "straight", "impact": "front", "other_from": "ahead"},
    "B": {"context": REAR_END, "movement": "stopped", "impact": "rear", "other_from": "behind"},
}
NO_SCENARIO = {
    "A": {"context": {"junction": "none", "collision": "side_impact"}, "movement": "straight"},
    "B": {"context": {"junction": "none", "collision": "side_impact"}, "movement": "straight"},
}


REQUIRED_PHOTOS = ("front_overview", "rear_overview", "impact_point")


def jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (shade, 255 - shade, 90)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def upload_required(client: Any, report_id: str, token: str) -> None:
    """The three photos every report needs, each with its own bytes."""
    for shade, kind in enumerate(REQUIRED_PHOTOS, start=1):
        form = aiohttp.FormData()
        form.add_field("kind", kind)
        form.add_field("file", jpeg(shade * 60), filename="photo.jpg", content_type="image/jpeg")
        r = await client.post(f"/v1/reports/{report_id}/photos", data=form, headers=bearer(token))
        assert r.status == 201, await r.text()


async def staff_token(settings: Any, role: str) -> str:
    """A staff account made the way an operator makes one (`kuaichu staff create`); returns its token."""
    from kuaichu.commands.staff import create_staff
    from kuaichu.db import connect

    keyring = Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )
    conn = await connect(settings.database_url)
    try:
        n = await conn.fetchval("SELECT count(*) FROM staff")
        return await create_staff(
            conn,
            keyring,
            username=f"{role}-{n}",
            role=role,
            name=None,
            insurer=None,
            jurisdiction=FIXTURE_ZONES if role == "police" else None,
        )
    finally:
        await conn.close()


@dataclass
class Case:
    report_id: str
    tokens: dict[str, str]
    phones: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, tail: str = "") -> str:
        return f"/v1/reports/{self.report_id}/fault{tail}"


async def report_with_parties(
    client: Any, settings: Any, *, vehicles: int = 2, **overrides: Any
) -> Case:
    """A report whose evidence is in and whose every party joined: status facts_complete."""
    a = await create_report(client, settings.var_dir, vehicle_count=vehicles, **overrides)
    report_id = a["report"]["id"]
    await upload_required(client, report_id, a["party_token"])
    r = await client.post(f"/v1/reports/{report_id}/submit", headers=bearer(a["party_token"]))
    assert r.status == 200, await r.text()
    case = Case(report_id, {"A": a["party_token"]}, {"A": a["phone"]})
    code = a["share_code"]["code"] if a["share_code"] else None
    for i in range(1, vehicles):
        label = chr(ord("A") + i)
        status, data, _ = await join(client, settings.var_dir, code, plate=f"浙B5432{i}")
        assert status == 201, data
        case.tokens[label], case.phones[label] = (
            data["party_token"],
            data["report"]["parties"][i]["driver"]["phone"],
        )
    r = await client.get(f"/v1/reports/{report_id}", headers=bearer(case.tokens["A"]))
    assert (await r.json())["status"] == "facts_complete"
    return case


async def put_account(
    client: Any, case: Case, label: str, account: dict[str, Any], *, as_party: str | None = None
):
    return await client.put(
        case.url(f"/accounts/{label}"), json=account, headers=bearer(case.tokens[as_party or label])
    )


async def give_accounts(
    client: Any, case: Case, accounts: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for label, account in accounts.items():
        r = await put_account(client, case, label, account)
        assert r.status == 200, await r.text()
        data = await r.json()
    return data


async def respond(
    client: Any,
    case: Case,
    label: str,
    version: int,
    response: str = "accept",
    reason: str | None = None,
    *,
    key: str | None = None,
):
    body: dict[str, Any] = {"proposal_version": version, "response": response}
    if reason:
        body["reason"] = reason
    headers = bearer(case.tokens[label]) | ({"Idempotency-Key": key} if key else {})
    return await client.post(case.url("/responses"), json=body, headers=headers)


async def sign(
    client: Any,
    settings: Any,
    case: Case,
    label: str,
    version: int,
    *,
    mutual: bool = False,
    image: str | None = None,
    code: str | None = None,
):
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens[label]))
    assert r.status == 202, await r.text()
    body: dict[str, Any] = {
        "proposal_version": version,
        "mutual_self_compensation": mutual,
        "code": code or last_code(settings.var_dir, case.phones[label]),
    }
    if image:
        body["signature_png_base64"] = image
    return await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens[label]))


async def police(settings: Any) -> dict[str, str]:
    return bearer(await staff_token(settings, "police"))


async def dispute_to_review(client: Any, case: Case) -> dict[str, Any]:
    """Rear-end accounts, then B disputes the proposal: the report is in police review."""
    data = await give_accounts(client, case, A_REAR_ENDS_B)
    r = await respond(
        client, case, "B", data["proposal"]["version"], "dispute", "对方急刹车，我来不及反应"
    )
    assert r.status == 200, await r.text()
    return await r.json()


async def determine(client: Any, case: Case, headers: dict[str, str], shares: dict[str, str]):
    body = {
        "shares": [{"party": k, "liability": v} for k, v in shares.items()],
        "reason": "A车未保持安全距离，B车在行驶中无故急刹车。",
        "articles": ["道路交通安全法第四十三条"],
    }
    return await client.post(case.url("/determinations"), json=body, headers=headers)
