"""The eligibility gate (程序规定 §13–§15): may the parties handle this case themselves? PURE."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    SELF_HANDLE = "self_handle"
    CALL_122_STAY = "call_122_stay"
    MOVE_THEN_CALL_122 = "move_then_call_122"


@dataclass(frozen=True, slots=True)
class PartyAnswers:
    id: str
    licence_valid: bool
    compulsory_insurance: bool
    inspection_mark_valid: bool
    suspected_impairment: bool
    has_plate: bool
    fled: bool
    dangerous_goods: bool
    overloaded_passenger: bool


@dataclass(frozen=True, slots=True)
class CaseAnswers:
    injuries: bool
    vehicles_movable: bool
    public_facility_damage: bool
    intentional: bool


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    action: Action
    parties: tuple[str, ...]
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reasons: tuple[Reason, ...]

    @property
    def eligible(self) -> bool:
        return self.action is Action.SELF_HANDLE


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    action: Action
    case_wide: bool
    applies: object  # Callable[[CaseAnswers], bool] or Callable[[PartyAnswers], bool]
    zh: str
    en: str


_STAY = Action.CALL_122_STAY
_MOVE = Action.MOVE_THEN_CALL_122

# The table of FAULT_RULES.md §1, in its order. Each rule cites 道路交通事故处理程序规定 (2018).
RULES: tuple[_Rule, ...] = (
    _Rule(
        "injury",
        _STAY,
        True,
        lambda c: c.injuries,
        "有人受伤或死亡：请立即拨打122（如有需要拨打120），保护现场，不要移动车辆。（程序规定第十三条）",
        "Someone is injured or killed: call 122 now (and 120 if needed), keep the scene and do not move "
        "the vehicles. (Procedure Rules art. 13)",
    ),
    _Rule(
        "no_licence",
        _STAY,
        False,
        lambda p: not p.licence_valid,
        "有驾驶人没有有效的准驾车型驾驶证：请拨打122，留在现场等候处理。（程序规定第十三条第一项）",
        "A driver has no valid licence for the vehicle: call 122 and wait at the scene. "
        "(Procedure Rules art. 13(1))",
    ),
    _Rule(
        "impairment",
        _STAY,
        False,
        lambda p: p.suspected_impairment,
        "有驾驶人疑似饮酒或服用毒品：请拨打122，留在现场等候处理。（程序规定第十三条第二项）",
        "A driver is suspected of drink or drugs: call 122 and wait at the scene. "
        "(Procedure Rules art. 13(2))",
    ),
    _Rule(
        "overloaded_passenger",
        _STAY,
        False,
        lambda p: p.overloaded_passenger,
        "校车或客车严重超员、超速：请拨打122，留在现场等候处理。（程序规定第十三条第三项）",
        "A school bus or passenger vehicle is seriously overloaded or speeding: call 122 and wait at the "
        "scene. (Procedure Rules art. 13(3))",
    ),
    _Rule(
        "no_plate",
        _STAY,
        False,
        lambda p: not p.has_plate,
        "有车辆无号牌或号牌伪造、变造：请拨打122，留在现场等候处理。（程序规定第十三条第四项）",
        "A vehicle has no plate, or a forged or altered one: call 122 and wait at the scene. "
        "(Procedure Rules art. 13(4))",
    ),
    _Rule(
        "immovable",
        _STAY,
        True,
        lambda c: not c.vehicles_movable,
        "车辆无法移动：请开启危险报警闪光灯、放置警告标志，拨打122等候处理。（程序规定第十三条第五项）",
        "A vehicle cannot be moved: switch on the hazard lights, place the warning triangle and call 122. "
        "(Procedure Rules art. 13(5))",
    ),
    _Rule(
        "fled",
        _STAY,
        False,
        lambda p: p.fled,
        "有当事人驾车离开现场：请记下对方车牌，拨打122报警。（程序规定第十三条第六项）",
        "A party has left the scene: note its plate and call 122. (Procedure Rules art. 13(6))",
    ),
    _Rule(
        "intentional",
        _STAY,
        True,
        lambda c: c.intentional,
        "有证据表明事故是故意造成的：请拨打122，留在现场等候处理。（程序规定第十三条第七项）",
        "There is evidence the collision was intentional: call 122 and wait at the scene. "
        "(Procedure Rules art. 13(7))",
    ),
    _Rule(
        "dangerous_goods",
        _STAY,
        False,
        lambda p: p.dangerous_goods,
        "有车辆载运危险物品：请远离车辆，立即拨打122，不要移动车辆。（程序规定第十五条）",
        "A vehicle carries dangerous goods: keep clear, call 122 now and do not move it. "
        "(Procedure Rules art. 15)",
    ),
    _Rule(
        "no_compulsory_insurance",
        _MOVE,
        False,
        lambda p: not p.compulsory_insurance,
        "有车辆未投保交强险：请先拍照固定现场，将车辆移至不妨碍交通的地点，再拨打122。（程序规定第十四条第一项）",
        "A vehicle has no compulsory insurance (交强险): take photos, move the vehicles out of traffic, "
        "then call 122. (Procedure Rules art. 14(1))",
    ),
    _Rule(
        "no_inspection_mark",
        _MOVE,
        False,
        lambda p: not p.inspection_mark_valid,
        "有车辆无有效检验合格标志：请先拍照固定现场，将车辆移至不妨碍交通的地点，再拨打122。（程序规定第十四条第一项）",
        "A vehicle has no valid inspection mark: take photos, move the vehicles out of traffic, then "
        "call 122. (Procedure Rules art. 14(1))",
    ),
    _Rule(
        "facility_damage",
        _MOVE,
        True,
        lambda c: c.public_facility_damage,
        "碰撞了建筑物或公共设施：请先拍照固定现场，将车辆移至不妨碍交通的地点，再拨打122。（程序规定第十四条第二项）",
        "A building or public facility was damaged: take photos, move the vehicles out of traffic, then "
        "call 122. (Procedure Rules art. 14(2))",
    ),
)


def check(case: CaseAnswers, parties: tuple[PartyAnswers, ...]) -> Verdict:
    """Apply every rule; `call_122_stay` outranks `move_then_call_122`, which outranks self-handling."""
    reasons: list[Reason] = []
    for rule in RULES:
        if rule.case_wide:
            hit = rule.applies(case)  # type: ignore[operator]
            concerned: tuple[str, ...] = ()
        else:
            concerned = tuple(p.id for p in parties if rule.applies(p))  # type: ignore[operator]
            hit = bool(concerned)
        if hit:
            reasons.append(Reason(rule.code, rule.action, concerned, rule.zh, rule.en))
    actions = {r.action for r in reasons}
    if _STAY in actions:
        action = _STAY
    elif _MOVE in actions:
        action = _MOVE
    else:
        action = Action.SELF_HANDLE
    return Verdict(action, tuple(reasons))
