"""The fault template engine (FAULT_RULES.md §3): facts + a template set → a decision. PURE.

The engine knows the evaluation order and the allocation rule; every scenario, contradiction, modifier and
exemption is data in the set (accident/templates/*.json), so a province can ship its own without code.
"""

from __future__ import annotations

from dataclasses import replace

from accident.fault_compiled import Findings
from accident.fault_compiled import findings as fast_findings
from accident.fault_conditions import Case, Scene, TemplateSetError
from accident.fault_model import (
    Allocation,
    Context,
    Decision,
    Facts,
    Liability,
    Match,
    Outcome,
    Party,
    ReviewCode,
    ReviewReason,
)
from accident.fault_sets import (
    DEFAULT_SET,
    CasePlan,
    Mirror,
    Pending,
    Row,
    ScenePlan,
    TemplateSet,
    load_set_json,
    load_shipped_sets,
    parse_set,
)

__all__ = [
    "DEFAULT_SET",
    "Context",
    "Decision",
    "Facts",
    "Party",
    "TemplateSet",
    "TemplateSetError",
    "assess",
    "load_set_json",
    "load_shipped_sets",
    "parse_set",
]

_REVIEW, _DETERMINED = Outcome.NEEDS_REVIEW, Outcome.DETERMINED
_FULL, _EQUAL, _NONE = Liability.FULL, Liability.EQUAL, Liability.NONE


def _reason(
    ts: TemplateSet, code: ReviewCode, specifics: list[tuple[str, str]] | None = None
) -> ReviewReason:
    if not specifics:
        return ts.plain_reasons[code]
    zh, en = ts.review_texts[code]
    zh += "（" + "；".join(dict.fromkeys(s[0] for s in specifics)) + "）"
    en += " (" + "; ".join(dict.fromkeys(s[1] for s in specifics)) + ")"
    return ReviewReason(code, zh, en)


def _review(
    ts: TemplateSet, reasons: list[ReviewReason], matched: tuple[Match, ...] = ()
) -> Decision:
    return Decision(_REVIEW, (), matched, ts.id, ts.version, tuple(reasons))


def mirrored_views(
    mirrors: tuple[Mirror, ...], a: Party, b: Party
) -> tuple[Party, Party, list[tuple[str, str]]]:
    """Step 2, mirror rules: a fact only one party gave is inferred for the other from its mirror image
    (e.g. rear↔front); views both gave that are not mirror images are listed as contradictions."""
    bad: list[tuple[str, str]] = []
    for m in mirrors:
        x, y = getattr(a, m.fact), getattr(b, m.fact)
        if x is None and y is None:
            continue
        if x is None or y is None:
            given = y if x is None else x
            if given not in m.pairs:
                bad.append((m.zh, m.en))
            elif x is None:
                a = replace(a, **{m.fact: m.pairs[given]})  # type: ignore[arg-type]  # a one-value fact
            else:
                b = replace(b, **{m.fact: m.pairs[given]})  # type: ignore[arg-type]
        elif m.pairs.get(x) != y:
            bad.append((m.zh, m.en))
    return a, b, bad


def firing(checks: list[tuple[Scene, tuple[Pending, ...]]]) -> list[tuple[str, str]]:
    """Steps 2 and 5, contradictions and modifiers: the (zh, en) of each check that holds, party by party."""
    return [(p.rule.zh, p.rule.en) for scene, pending in checks for p in pending if p.holds(scene)]


def matching_rows(scene: Scene, plan: ScenePlan) -> list[Row]:
    """Step 3: the rows whose conditions hold for the party the scene is seen from, and no exemption, in
    code order (exemptions such as 道交法 §53's emergency vehicle on duty)."""
    return [p.rule for p in plan.rows if p.holds(scene)]


def findings(plan: CasePlan, case: Case, parties: tuple[Party, ...]) -> Findings:
    """Steps 2, 3 and 5, interpreted condition by condition: contradictions (mirror rules first), each
    party's matching rows, modifiers."""
    bad: list[tuple[str, str]] = []
    if len(parties) == 2:
        a, b, bad = mirrored_views(plan.mirrors, *parties)
        scenes = [Scene(case, a, b), Scene(case, b, a)]
    else:
        scenes = [Scene(case, parties[0], None)]
    view = plan.view
    bad += firing([(scene, view.contradictions) for scene in scenes])
    if bad:
        return Findings(bad, [], [])
    hits = [matching_rows(scene, view) for scene in scenes]
    return Findings(bad, hits, firing([(scene, view.modifiers) for scene in scenes]))


def _mismatch(declared: tuple[str, ...], hits: list[Row]) -> bool:
    """Step 4: a party declared a scenario that is not among the rows that hold for it."""
    return bool(declared) and not {r.code for r in hits}.issuperset(declared)


def allocation(parties: tuple[Party, ...], hits: list[list[Row]]) -> tuple[Allocation, ...]:
    """Step 6: one party matched → full liability, the other none; both → equal; a lone party → full."""
    if len(parties) == 1:
        return (Allocation(parties[0].id, _FULL),)
    a, b = parties
    if hits[0] and hits[1]:
        return (Allocation(a.id, _EQUAL), Allocation(b.id, _EQUAL))
    return (
        Allocation(a.id, _FULL if hits[0] else _NONE),
        Allocation(b.id, _FULL if hits[1] else _NONE),
    )


def assess(ts: TemplateSet, facts: Facts, *, fast: bool = True) -> Decision:
    """Decide liability from the parties' facts under one template set; review whenever in doubt.

    The steps follow FAULT_RULES.md §3's evaluation order. The set is first specialised to the case
    (TemplateSet.plan): conditions on the junction, the collision and the party count are decided once, so
    only what can still hold is tested per party. `fast=False` interprets every condition as written
    instead of using the compiled form (the same answers: tests check it).
    """
    parties = facts.parties
    if len(parties) > 2:  # step 1
        return _review(ts, [_reason(ts, ReviewCode.MULTI_VEHICLE)])
    context = facts.context
    plan = ts.plans.get((context.junction, context.collision, len(parties))) or ts.plan(
        context, len(parties)
    )
    if fast:
        return decide(ts, parties, fast_findings(plan.compiled, parties))
    case = Case(facts.context.junction, facts.context.collision, len(parties))
    found = findings(plan, case, parties)
    return decide(ts, parties, found)


def decide(ts: TemplateSet, parties: tuple[Party, ...], found: Findings) -> Decision:
    """Steps 2 (end on contradictions), 4, 5 and 6, the same for both forms."""
    if found.contradictions:
        return _review(ts, [_reason(ts, ReviewCode.CONTRADICTORY_FACTS, found.contradictions)])
    hits = found.hits
    matched, mismatch = [], False
    for i, p in enumerate(parties):
        for r in hits[i]:
            matched.append(Match(p.id, r.code, r.title_zh, r.title_en, r.legal_basis))
        if p.declared_scenarios and not mismatch:
            mismatch = _mismatch(p.declared_scenarios, hits[i])
    reasons: list[ReviewReason] = []
    if mismatch:  # step 4
        reasons.append(ts.plain_reasons[ReviewCode.DECLARED_MISMATCH])
    if found.modifiers:  # step 5
        reasons.append(_reason(ts, ReviewCode.MODIFIER, found.modifiers))
    if not matched:
        reasons.append(ts.plain_reasons[ReviewCode.NO_SCENARIO])
    if reasons:
        return Decision(_REVIEW, (), tuple(matched), ts.id, ts.version, tuple(reasons))
    return Decision(
        _DETERMINED, allocation(parties, hits), tuple(matched), ts.id, ts.version, ()
    )  # step 6
