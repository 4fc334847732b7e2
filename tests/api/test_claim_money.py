"""Money decisions are checked: a payout above the computed cover needs a reason and is flagged, an agreement
is revisable until paid, a payment unlike the agreement is flagged, and a paid claim's cover is frozen."""

from __future__ import annotations

import pytest

from tests.api.claims_setup import opened_claims, sql


def assessment(ref: str, fen: int) -> dict:
    return {
        "reference": ref,
        "items": [{"part": "前保险杠", "operation": "repair", "amount_fen": fen}],
        "total_fen": fen,
    }


@pytest.fixture
async def decided(client, settings):
    """A 100 % / B 0 %; B's loss of 2,500.00 is owed 2,000.00 by A's compulsory insurer, PICC, on its line."""
    _, auth, claims = await opened_claims(client, settings, {"A": 100, "B": 0})
    for label, insurer, fen in (("A", "PICC", 50_000), ("B", "CPIC", 250_000)):
        r = await client.post(
            f"/v1/insurer/claims/{claims[label]}/assessment",
            json=assessment(label, fen),
            headers=auth[insurer],
        )
        assert r.status == 201, await r.text()
    url = f"/v1/insurer/claims/{claims['B']}"
    for path, body in (
        (
            "documents",
            {"reference": "d1", "stage": "requested", "items": [{"kind": "vehicle_licence"}]},
        ),
        ("documents", {"reference": "d2", "stage": "complete"}),
        ("decision", {"reference": "d3", "covered": True}),
    ):
        r = await client.post(f"{url}/{path}", json=body, headers=auth["PICC"])
        assert r.status == 200, await r.text()
    return auth, claims, url


async def test_a_payout_above_the_computed_cover_needs_a_reason_and_is_flagged(client, decided):
    auth, _, url = decided
    r = await client.post(
        f"{url}/payout-agreement",
        json={"reference": "p1", "amount_fen": 999_999},
        headers=auth["PICC"],
    )
    assert r.status == 422
    problem = await r.json()
    assert (
        problem["type"] == "/problems/payout-above-cover"
        and problem["errors"][0]["pointer"] == "#/reason"
    )
    assert "9999.99 元" in problem["zh"]["detail"] and "2000.00 元" in problem["zh"]["detail"]
    body = {"reference": "p2", "amount_fen": 260_000, "reason": "车主另有拖车费，经双方协商"}
    r = await client.post(f"{url}/payout-agreement", json=body, headers=auth["PICC"])
    assert r.status == 200, await r.text()
    view = await r.json()
    assert view["status"] == "payout_agreed" and view["payout_reason"] == body["reason"]
    [flag] = view["flags"]
    assert (flag["code"], flag["amount_fen"], flag["cover_fen"]) == (
        "payout_above_cover",
        260_000,
        200_000,
    )


async def test_an_agreement_is_revised_until_paid_and_a_different_payment_is_flagged(
    client, settings, decided
):
    auth, claims, url = decided
    r = await client.post(
        f"{url}/payout-agreement",
        json={"reference": "p1", "amount_fen": 200_000},
        headers=auth["PICC"],
    )
    assert r.status == 200 and (await r.json())["flags"] == []  # at the cover: no reason needed
    first_due = [d for d in (await r.json())["deadlines"] if d["duty"] == "payment"]
    r = await client.post(
        f"{url}/payout-agreement",
        json={"reference": "p2", "amount_fen": 180_000},
        headers=auth["PICC"],
    )
    assert r.status == 200, await r.text()
    revised = await r.json()
    assert (revised["payout_fen"], revised["payout_revision"], revised["status"]) == (
        180_000,
        2,
        "payout_agreed",
    )
    assert [
        d for d in revised["deadlines"] if d["duty"] == "payment"
    ] == first_due  # §29 runs from the first
    r = await client.post(
        f"{url}/payment", json={"reference": "p3", "amount_fen": 170_000}, headers=auth["PICC"]
    )
    assert r.status == 200
    paid = await r.json()
    assert paid["status"] == "closed"
    assert [(f["code"], f["paid_fen"], f["agreed_fen"]) for f in paid["flags"]] == [
        ("payment_differs_from_agreement", 170_000, 180_000)
    ]
    r = await client.post(
        f"{url}/payout-agreement", json={"reference": "p4", "amount_fen": 1}, headers=auth["PICC"]
    )
    assert r.status == 409 and "已结案" in (await r.json())["zh"]["detail"]
    actions = [
        a["action"]
        for a in await sql(
            settings,
            "SELECT action FROM audit_events WHERE entity_id = $1 ORDER BY id",
            claims["B"],
        )
    ]
    assert actions[-4:] == ["payout_agreed", "payout_revised", "paid", "closed"]


async def test_the_cover_of_a_paid_claim_is_frozen(client, settings, decided):
    auth, claims, url = decided
    for path, body in (
        ("payout-agreement", {"reference": "p1", "amount_fen": 200_000}),
        ("payment", {"reference": "p2", "amount_fen": 200_000}),
    ):
        assert (await client.post(f"{url}/{path}", json=body, headers=auth["PICC"])).status == 200
    [before] = await sql(
        settings, "SELECT cover, cover_revision FROM claims WHERE id = $1::uuid", claims["B"]
    )
    # A's loss is assessed again, much higher: A's cover changes, B's (already paid) does not.
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/assessment",
        json=assessment("A2", 900_000),
        headers=auth["PICC"],
    )
    assert r.status == 201
    [after] = await sql(
        settings, "SELECT cover, cover_revision FROM claims WHERE id = $1::uuid", claims["B"]
    )
    assert dict(after) == dict(before)
    [a] = await sql(settings, "SELECT cover_revision FROM claims WHERE id = $1::uuid", claims["A"])
    assert a["cover_revision"] == 2
