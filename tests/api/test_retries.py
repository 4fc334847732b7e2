"""Every state-changing step a driver takes is safe to retry after a lost answer, even without an
Idempotency-Key: submitting the evidence, answering the proposal and signing get the same answer again."""

from __future__ import annotations

from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    give_accounts,
    report_with_parties,
    respond,
    upload_required,
)
from tests.api.flows import bearer, create_report, last_code


async def test_submitting_the_evidence_twice_answers_twice_the_same(client, settings):
    a = await create_report(client, settings.var_dir)
    report_id = a["report"]["id"]
    await upload_required(client, report_id, a["party_token"])
    first = await client.post(f"/v1/reports/{report_id}/submit", headers=bearer(a["party_token"]))
    again = await client.post(f"/v1/reports/{report_id}/submit", headers=bearer(a["party_token"]))
    assert first.status == again.status == 200
    assert (await first.json())["status"] == (await again.json())["status"] == "awaiting_parties"


async def test_answering_and_signing_again_get_the_same_answer_and_spend_nothing(client, settings):
    case = await report_with_parties(client, settings)
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    version = state["proposal"]["version"]
    for label in "AB":
        first = await respond(client, case, label, version)
        again = await respond(client, case, label, version)
        assert first.status == again.status == 200, await again.text()
        assert await again.json() == await first.json()
    other = await respond(client, case, "A", version, "dispute", "改变主意")
    assert other.status == 409  # a different answer is still refused once accepted and signed-ready

    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    assert r.status == 202
    body = {
        "proposal_version": version,
        "mutual_self_compensation": False,
        "code": last_code(settings.var_dir, case.phones["A"]),
    }
    first = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert first.status == 200, await first.text()
    again = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert again.status == 200, await again.text()  # the spent code is not asked for again
    assert await again.json() == await first.json()
    signatures = [s["party"] for s in (await again.json())["signatures"]]
    assert signatures == ["A"]
