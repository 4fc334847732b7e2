"""The public eligibility gate."""

from __future__ import annotations

from aiohttp import web

from accident.eligibility import CaseAnswers, PartyAnswers, Verdict, check
from kuaichu.api import PUBLIC, Route, json_response, read_model
from schemas.eligibility import (
    CaseAnswersIn,
    EligibilityCheck,
    EligibilityParty,
    EligibilityReason,
    EligibilityResult,
)


def to_case(body: CaseAnswersIn) -> CaseAnswers:
    return CaseAnswers(
        injuries=body.injuries,
        vehicles_movable=body.vehicles_movable,
        public_facility_damage=body.public_facility_damage,
        intentional=body.intentional,
    )


def to_party(p: EligibilityParty) -> PartyAnswers:
    return PartyAnswers(**p.model_dump())


def to_result(verdict: Verdict) -> EligibilityResult:
    return EligibilityResult(
        eligible=verdict.eligible,
        action=verdict.action.value,
        reasons=[
            EligibilityReason(code=r.code, parties=list(r.parties), zh=r.zh, en=r.en)
            for r in verdict.reasons
        ],
    )


async def check_eligibility(request: web.Request) -> web.Response:
    body = await read_model(request, EligibilityCheck)
    verdict = check(to_case(body), tuple(to_party(p) for p in body.parties))
    return json_response(to_result(verdict))


ROUTES = [
    Route(
        "POST",
        "/v1/eligibility/check",
        check_eligibility,
        "May the parties handle this case themselves, or must they call 122?",
        auth=(PUBLIC,),
        tag="eligibility",
        body=EligibilityCheck,
        responses={200: EligibilityResult},
    ),
]
