"""The public fault assessment: the parties' facts against a template set, decided inline."""

from __future__ import annotations

from aiohttp import web

from accident.fault import DEFAULT_SET, Context, Facts, Party, TemplateSet, assess
from accident.fault_errors import FaultInputRefused
from accident.fault_proposal import decision_json
from kernel.errors import field
from kuaichu.api import PUBLIC, Route, json_response, read_model
from kuaichu.keys import SERVICES
from schemas.fault import FaultAssess, FaultDecisionRead


def _choose(body: FaultAssess, sets: dict[str, TemplateSet]) -> TemplateSet:
    """The requested set (or the national default), after the checks pydantic cannot do alone."""
    errors: list[dict[str, str]] = []
    ts = sets.get(body.template_set or DEFAULT_SET)
    if ts is None:
        errors.append(
            field(
                "#/template_set",
                f"没有规则模板集“{body.template_set}”",
                f"Unknown template set {body.template_set!r}",
            )
        )
    seen: set[str] = set()
    for i, p in enumerate(body.parties):
        if p.id in seen:
            errors.append(
                field(
                    f"#/parties/{i}/id", f"当事人编号 {p.id} 重复", f"Duplicate party id {p.id!r}"
                )
            )
        seen.add(p.id)
        for j, code in enumerate(p.declared_scenarios):
            if ts is not None and code not in ts.codes:
                errors.append(
                    field(
                        f"#/parties/{i}/declared_scenarios/{j}",
                        f"“{code}”不是规则模板集 {ts.id} 中的情形，请从列表中选择",
                        f"{code!r} is not a scenario of set {ts.id}: pick one from the list",
                    )
                )
    if errors:
        fields = ", ".join(e["pointer"] for e in errors[:5])
        raise FaultInputRefused(
            f"请检查以下字段：{fields}", f"Check these fields: {fields}", errors=errors
        )
    assert ts is not None
    return ts


def to_facts(body: FaultAssess) -> Facts:
    return Facts(
        Context(body.context.junction, body.context.collision),
        tuple(
            Party(
                p.id,
                p.movement,
                p.impact,
                p.signal,
                p.priority,
                p.other_from,
                frozenset(p.flags),
                tuple(p.declared_scenarios),
            )
            for p in body.parties
        ),
    )


async def assess_fault(request: web.Request) -> web.Response:
    body = await read_model(request, FaultAssess)
    ts = _choose(body, request.app[SERVICES].fault_templates)
    return json_response(decision_json(assess(ts, to_facts(body))))


ROUTES = [
    Route(
        "POST",
        "/v1/fault/assess",
        assess_fault,
        "Who is at fault, under which scenario and legal basis — or does the case need police review?",
        auth=(PUBLIC,),
        tag="fault",
        body=FaultAssess,
        responses={200: FaultDecisionRead},
        errors=(422,),
    ),
]
