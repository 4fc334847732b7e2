"""The condition language of fault templates (FAULT_RULES.md §3): named facts, a table of operators, and how
one condition is checked against a scene. PURE.

A condition is `{"fact": "self.movement", "op": "in", "value": [...]}` over `context.*`, `case.*`, `self.*`
and `other.*`. An unknown fact is None, and every operator is false on it: a template never assumes.

A new operator is one entry in OPERATORS (and its line in FAULT_RULES.md §3); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from accident.fault_model import CASE_FACTS, CONTEXT_FACTS, PARTY_FACTS, SET_FACTS, Party

SCOPES = ("context", "case", "self", "other")


class TemplateSetError(ValueError):
    """A template set that cannot be loaded: the message names the set and the bad field."""


@dataclass(frozen=True, slots=True)
class Operator:
    """How a condition compares a known fact `x` with its value `v` (never called on an unknown fact)."""

    name: str
    on_sets: bool  # for facts whose value is a set of names (flags); otherwise for one-value facts
    takes_list: bool  # the condition's value is a non-empty list of names (kept as a frozenset)
    test: Callable[[Any, Any], bool]


def _eq(x: Any, v: Any) -> bool:
    return x == v


def _ne(x: Any, v: Any) -> bool:
    return x != v


def _in(x: Any, v: frozenset) -> bool:
    return x in v


def _not_in(x: Any, v: frozenset) -> bool:
    return x not in v


def _contains(x: frozenset, v: str) -> bool:
    return v in x


def _not_contains(x: frozenset, v: str) -> bool:
    return v not in x


def _contains_any(x: frozenset, v: frozenset) -> bool:
    return not v.isdisjoint(x)


OPERATORS: Mapping[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", on_sets=False, takes_list=False, test=_eq),
        Operator("ne", on_sets=False, takes_list=False, test=_ne),
        Operator("in", on_sets=False, takes_list=True, test=_in),
        Operator("not_in", on_sets=False, takes_list=True, test=_not_in),
        Operator("contains", on_sets=True, takes_list=False, test=_contains),
        Operator("not_contains", on_sets=True, takes_list=False, test=_not_contains),
        Operator("contains_any", on_sets=True, takes_list=True, test=_contains_any),
    )
}


class Case(NamedTuple):
    """What is known of the case itself: `context.*` and `case.*` facts."""

    junction: str
    collision: str
    party_count: int


class Scene(NamedTuple):
    """The case as seen by one party: `self` is the party tested, `other` the other one (None when alone)."""

    case: Case
    me: Party  # after the mirror rules: a view only the other party gave is filled in
    other: Party | None


@dataclass(frozen=True, slots=True)
class Condition:
    """One checked condition of a template: `scope.fact op value`."""

    scope: str
    fact: str
    op: Operator
    value: Any  # a vocabulary value, or a frozenset of them when the operator takes a list

    def read(self, scene: Scene) -> Any:
        if self.scope == "self":
            return getattr(scene.me, self.fact)
        if self.scope == "other":
            return None if scene.other is None else getattr(scene.other, self.fact)
        return getattr(scene.case, self.fact)

    def holds(self, scene: Scene) -> bool:
        x = self.read(scene)
        return x is not None and self.op.test(x, self.value)


When = tuple[Condition, ...]  # conditions that must all hold


def all_hold(when: When, scene: Scene) -> bool:
    for condition in when:  # noqa: SIM110 - a plain loop: this runs for every rule left, on every case
        if not condition.holds(scene):
            return False
    return True


Known = Mapping[
    tuple[str, str], Any
]  # facts known ahead of the parties' other facts, by (scope, fact)


def known_facts(case: Case) -> dict[tuple[str, str], Any]:
    """What is known before any party is looked at: the case. For a lone party every `other.*` fact is
    unknown (None)."""
    known: dict[tuple[str, str], Any] = {
        ("context", "junction"): case.junction,
        ("context", "collision"): case.collision,
        ("case", "party_count"): case.party_count,
    }
    if case.party_count < 2:
        known.update({("other", name): None for name in PARTY_FACTS})
    return known


def specialise(when: When, known: Known) -> When | None:
    """The conditions left once the facts in `known` are known: None when one of them is already false (the
    predicate can never hold), an empty tuple when it always holds."""
    left = []
    for condition in when:
        key = (condition.scope, condition.fact)
        if key not in known:
            left.append(condition)
            continue
        x = known[key]
        if x is None or not condition.op.test(x, condition.value):
            return None
    return tuple(left)


def vocabulary(scope: str) -> Mapping[str, frozenset]:
    return {"context": CONTEXT_FACTS, "case": CASE_FACTS}.get(scope, PARTY_FACTS)


def parse_condition(raw: Any, where: str) -> Condition:
    """One condition checked against the §2 vocabulary and the operator table."""
    if not isinstance(raw, dict) or set(raw) != {"fact", "op", "value"}:
        raise TemplateSetError(f"{where}: a condition is exactly {{fact, op, value}}, got {raw!r}")
    fact, name, value = raw["fact"], raw["op"], raw["value"]
    scope, _, fact_name = str(fact).partition(".")
    if scope not in SCOPES or fact_name not in vocabulary(scope):
        raise TemplateSetError(f"{where}.fact: unknown fact {fact!r}")
    op = OPERATORS.get(name)
    if op is None or op.on_sets != (fact_name in SET_FACTS):
        raise TemplateSetError(f"{where}.op: operator {name!r} does not apply to {fact}")
    values = value if op.takes_list else [value]
    if not isinstance(values, list) or not values:
        raise TemplateSetError(f"{where}.value: {name} needs a non-empty list")
    allowed = vocabulary(scope)[fact_name]
    for v in values:
        if v not in allowed:
            raise TemplateSetError(f"{where}.value: {v!r} is not a value of {fact}")
    return Condition(scope, fact_name, op, frozenset(values) if op.takes_list else value)


def parse_when(raw: Any, where: str) -> When:
    """A non-empty list of conditions that must all hold."""
    if not isinstance(raw, list) or not raw:
        raise TemplateSetError(f"{where}: a predicate is a non-empty list of conditions")
    return tuple(parse_condition(c, f"{where}[{i}]") for i, c in enumerate(raw))


def describe(when: When) -> str:
    """A predicate as a person reads it, e.g. `self.movement in {reversing} and other.flags contains x`."""
    if not when:
        return "always"
    out = []
    for c in when:
        value = (
            "{" + ", ".join(sorted(c.value)) + "}"
            if isinstance(c.value, frozenset)
            else str(c.value)
        )
        out.append(f"{c.scope}.{c.fact} {c.op.name} {value}")
    return " and ".join(out)
