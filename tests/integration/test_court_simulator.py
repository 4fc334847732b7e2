"""The court simulator (`kuaichu court-sim`) against the real service and worker: it validates and accepts the
package, answers a repeat with the same case number, 409 to an update gap, 401 to a bad signature, and calls
back (signed with the inbound secret) so the parties see the court's stages on their report."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from court_bridge.client import signed_headers
from court_bridge.package import correct, package_bytes
from court_bridge.service import queue_update
from court_bridge.simulator import CourtSimulator, Faults
from court_bridge.stored import from_store
from kuaichu.commands.court_sim import build_app
from kuaichu.settings import DEV_COURT_INBOUND_SECRET, DEV_COURT_OUTBOUND_SECRET
from tests.api.court_setup import court_case, package_row, pool_of, work
from tests.api.evidence import keyring_of
from tests.api.fault_steps import staff_token
from tests.api.flows import bearer


@pytest.fixture
async def sim(aiohttp_server) -> CourtSimulator:
    simulator = CourtSimulator(
        outbound_secret=DEV_COURT_OUTBOUND_SECRET,
        inbound_secret=DEV_COURT_INBOUND_SECRET,
        faults=Faults(),
        seed=42,
    )
    server = await aiohttp_server(build_app(simulator, callback_delay_s=0.05))
    simulator.url = str(server.make_url("")).rstrip("/")
    return simulator


@pytest.fixture
def settings(settings, sim):
    return settings.model_copy(update={"court_url": sim.url})


async def _post(url: str, key: str, body: bytes, secret: str = DEV_COURT_OUTBOUND_SECRET) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            url, data=body, headers=signed_headers(secret=secret, key=key, body=body)
        ) as resp,
    ):
        return resp.status


async def test_the_simulator_accepts_the_package_calls_back_and_keeps_update_order(
    client, settings, sim
):
    sim.callback_url = str(client.make_url("")).rstrip("/")
    case = await court_case(client, settings)

    async def mediation_scheduled() -> bool:
        r = await client.get(f"/v1/reports/{case.report_id}", headers=bearer(case.tokens["A"]))
        return (await r.json())["status"] == "court_mediation"

    await work(client, mediation_scheduled)
    row = await package_row(client, case.report_id)
    assert (
        row["state"] == "delivered"
        and sim.cases[row["package_id"]].case_number == row["case_number"]
    )
    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["B"]))
    summary = await r.json()
    assert [e["type"] for e in summary["events"]] == ["accepted", "mediation_scheduled"]
    assert row["case_number"] in summary["events"][0]["zh"]

    pkg = row["package_id"]
    async with pool_of(client).acquire() as conn, conn.transaction():
        for n in (1, 2):
            await queue_update(
                conn,
                report_id=row["report_id"],
                type="claim_status",
                occurred_at=datetime.now(UTC),
                data={"claim": n, "status": "decided"},
            )

    async def two_updates() -> bool:
        return sim.cases[pkg].last_sequence == 2

    await work(client, two_updates)
    assert [u["sequence"] for u in sim.cases[pkg].updates] == [1, 2]
    gap = b'{"sequence":4,"type":"withdrawal","occurred_at":"2026-05-09T06:00:00Z","data":{}}'
    assert await _post(f"{sim.url}/v1/cases/{pkg}/updates", f"{pkg}.u4", gap) == 409
    assert (
        await _post(f"{sim.url}/v1/cases/{pkg}/updates", f"{pkg}.u4", gap, DEV_COURT_INBOUND_SECRET)
        == 401
    )
    again = package_bytes(from_store(row["body"], keyring_of(settings)))
    assert (
        await _post(f"{sim.url}/v1/cases", f"{pkg}.1", again) == 200
    )  # a repeat: the same case, not a new one
    assert len(sim.cases) == 1


def test_the_simulator_refuses_a_package_that_fails_the_schema_or_its_digest():
    simulator = CourtSimulator(
        outbound_secret=DEV_COURT_OUTBOUND_SECRET, inbound_secret=DEV_COURT_INBOUND_SECRET
    )
    body = b'{"schema_version":1,"package_id":"pkg_0123456789","revision":1}'
    reply = simulator.receive_case(
        headers=signed_headers(secret=DEV_COURT_OUTBOUND_SECRET, key="pkg_0123456789.1", body=body),
        raw=body,
    )
    assert reply.status == 422 and any(e["pointer"] == "#/accident" for e in reply.body["errors"])
    reply = simulator.receive_case(
        headers=signed_headers(secret=DEV_COURT_INBOUND_SECRET, key="pkg_0123456789.1", body=body),
        raw=body,
    )
    assert reply.status == 401


async def test_the_simulators_callbacks_carry_its_case_number_and_one_gapless_sequence_per_case(
    client, settings, sim
):
    sim.callback_url = str(client.make_url("")).rstrip("/")
    case = await court_case(client, settings)

    async def scheduled() -> bool:
        r = await client.get(f"/v1/reports/{case.report_id}", headers=bearer(case.tokens["A"]))
        return (await r.json())["status"] == "court_mediation"

    await work(client, scheduled)
    row = await package_row(client, case.report_id)
    pkg = row["package_id"]
    revised = correct(
        from_store(row["body"], keyring_of(settings)),
        revision=2,
        created_at=datetime.now(UTC),
        corrections=[],
    )
    raw = package_bytes(revised)
    reply = sim.receive_case(
        headers=signed_headers(secret=DEV_COURT_OUTBOUND_SECRET, key=f"{pkg}.2", body=raw), raw=raw
    )
    # a corrected revision of a case the court has is the same case: no second "accepted" numbered 1 again
    assert (
        reply.status == 201
        and reply.body["case_number"] == row["case_number"]
        and reply.callbacks == ()
    )
    admin = bearer(await staff_token(settings, "admin"))
    view = await (await client.get(f"/v1/court/cases/{pkg}", headers=admin)).json()
    assert [(c["sequence"], c["outcome"], c["case_number"]) for c in view["callbacks"]] == [
        (1, "applied", row["case_number"]),
        (2, "applied", row["case_number"]),
    ]
