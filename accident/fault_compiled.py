"""The compiled form of a template set specialised to a case, for speed only. PURE.

The interpreter (fault_conditions, fault.assess with fast=False) is what a reader follows; this module
derives the same tests from it as integers. Every party fact has a closed vocabulary (FAULT_RULES.md §2),
so a condition on a party is the set of values it admits, found by asking the operator table about every
value, and a party's facts are one bit per value it gave (one per flag for its flags). A condition then
holds when the party's bits meet its mask — or, for a condition that holds on no flags at all such as
`not_contains`, when they miss it. An unknown fact has no bit and meets no mask: false, as the interpreter
says. An operator whose answers on flags do not take that shape is refused at load time. Checked against
the interpreter on every template row, near miss and benchmark case (tests/unit/test_fault_compiled.py).

Conditions on the case never reach this module: the plan has decided them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple

from accident.fault_conditions import Condition, Operator, TemplateSetError, When
from accident.fault_model import PARTY_FACTS, SET_FACTS, Party

# One bit per (fact, value) of the party facts.
_OPEN_FACTS = tuple(sorted(set(PARTY_FACTS) - SET_FACTS))
BIT = {
    name: 1 << i
    for i, name in enumerate(
        [
            (fact, value)
            for fact in (*_OPEN_FACTS, *sorted(SET_FACTS))
            for value in sorted(PARTY_FACTS[fact])
        ]
    )
}
_FLAG_BIT = {flag: BIT[("flags", flag)] for flag in PARTY_FACTS["flags"]}
_read_open = attrgetter(*_OPEN_FACTS)
_bits_of_values: dict[tuple, int] = {}  # at most the product of the one-value facts' vocabularies


def party_bits(p: Party) -> int:
    """A party's facts as bits: every open one-value fact it gave, and its flags."""
    values = _read_open(p)
    bits = _bits_of_values.get(values)
    if bits is None:
        bits = 0
        for fact, value in zip(_OPEN_FACTS, values, strict=True):
            if value is not None:
                bits |= BIT[(fact, value)]
        _bits_of_values[values] = bits
    for flag in p.flags:
        bits |= _FLAG_BIT[flag]
    return bits


class BitTest(NamedTuple):
    """One compiled condition: the party (0 self, 1 other), a mask, and whether the party's bits must meet
    it (True) or miss it (False)."""

    party: int
    mask: int
    meet: bool


def _mask(fact: str, values: Any) -> int:
    mask = 0
    for v in values:
        mask |= BIT[(fact, v)]
    return mask


@functools.cache
def compile_condition(c: Condition) -> BitTest:
    party = 0 if c.scope == "self" else 1
    vocabulary = PARTY_FACTS[c.fact]
    if c.fact not in SET_FACTS:
        return BitTest(party, _mask(c.fact, (v for v in vocabulary if c.op.test(v, c.value))), True)
    on_none = c.op.test(frozenset(), c.value)  # not_contains holds on no flags, contains does not
    mask = _mask(c.fact, (f for f in vocabulary if c.op.test(frozenset({f}), c.value) != on_none))
    if not _exact_on_every_flag_set(c.op, c.value, mask, not on_none):
        raise TemplateSetError(f"operator {c.op.name} on {c.scope}.{c.fact} has no compiled form")
    return BitTest(party, mask, not on_none)


@functools.cache
def _exact_on_every_flag_set(op: Operator, value: Any, mask: int, meet: bool) -> bool:
    """Whether 'the flags meet (or miss) the mask' answers as the operator does on every set of flags."""
    flags = sorted(PARTY_FACTS["flags"])
    for n in range(1 << len(flags)):
        chosen = frozenset(f for i, f in enumerate(flags) if n >> i & 1)
        if op.test(chosen, value) != (bool(_mask("flags", chosen) & mask) is meet):
            return False
    return True


class Tests(NamedTuple):
    """A conjunction: bits each party must all have (self's, other's), then the remaining tests."""

    need_self: int
    need_other: int
    rest: tuple[BitTest, ...]


def compile_when(when: When) -> Tests:
    need, rest = [0, 0], []
    for c in when:
        t = compile_condition(c)
        if t.meet and t.mask & (t.mask - 1) == 0:  # one bit that must be there
            need[t.party] |= t.mask
        else:
            rest.append(t)
    return Tests(need[0], need[1], tuple(rest))


class Rule(NamedTuple):
    """A rule (template row or check) left in a plan: its tests and its exemptions'."""

    rule: Any
    tests: Tests
    exemptions: tuple[Tests, ...]


class Mirror(NamedTuple):
    """A mirror rule on bits: the fact's mask, each value's bit to its mirror's bit, and the texts."""

    mask: int
    pairs: dict[int, int]
    texts: tuple[str, str]


def compile_mirror(fact: str, pairs: dict[str, str], texts: tuple[str, str]) -> Mirror:
    return Mirror(
        _mask(fact, PARTY_FACTS[fact]),
        {BIT[(fact, a)]: BIT[(fact, b)] for a, b in pairs.items()},
        texts,
    )


Holding = Callable[[int, int], list]  # (self's bits, other's bits) → the rules that hold, in order


class View(NamedTuple):
    """One party's view of a plan: each group of rules as one function of the parties' bits."""

    contradictions: Holding
    rows: Holding
    modifiers: Holding


class Plan(NamedTuple):
    mirrors: tuple[Mirror, ...]
    view: View  # the same functions for each party, called with its bits first


def _expression(t: Tests) -> str:
    terms = []
    if t.need_self:
        terms.append(f"me & {t.need_self} == {t.need_self}")
    if t.need_other:
        terms.append(f"other & {t.need_other} == {t.need_other}")
    for party, mask, meet in t.rest:
        terms.append(f"{'other' if party else 'me'} & {mask} {'!=' if meet else '=='} 0")
    return " and ".join(terms) or "True"


def compile_group(rules: tuple[Rule, ...], label: str) -> Holding:
    """One function testing every rule of a group in order: straight-line integer tests written from the
    rules' masks (only integers reach the source), so a case costs one call per group."""
    lines = ["def holding(me, other):", "    out = []"]
    for i, (_, tests, exemptions) in enumerate(rules):
        unless = "".join(f" and not ({_expression(e)})" for e in exemptions)
        lines += [f"    if ({_expression(tests)}){unless}:", f"        out.append(R[{i}])"]
    lines.append("    return out")
    namespace: dict[str, Any] = {"R": tuple(r.rule for r in rules)}
    exec(compile("\n".join(lines), f"<fault plan {label}>", "exec"), namespace)  # noqa: S102 - integers only
    return namespace["holding"]


def holding(rules: tuple[Rule, ...], me: int, other: int) -> list:
    """The rules whose tests pass on the parties' bits and none of whose exemptions does (the compiled
    groups do the same in one call each; this reads as the definition)."""
    return [
        r.rule
        for r in rules
        if _passes(r.tests, me, other) and not any(_passes(e, me, other) for e in r.exemptions)
    ]


class Findings(NamedTuple):
    """What the steps before the decision found: contradictions (zh, en), each party's matching rows,
    and the modifiers (zh, en) that apply."""

    contradictions: list[tuple[str, str]]
    hits: list[list]
    modifiers: list[tuple[str, str]]


def _passes(t: Tests, me: int, other: int) -> bool:
    if me & t.need_self != t.need_self or other & t.need_other != t.need_other:
        return False
    return all(bool((other if party else me) & mask) is meet for party, mask, meet in t.rest)


def findings(plan: Plan, parties: tuple[Party, ...]) -> Findings:
    """Steps 2, 3 and 5 of the evaluation order on bits (fault.findings reads them condition by condition)."""
    view = plan.view
    a = party_bits(parties[0])
    if len(parties) == 1:
        bad = [(c.zh, c.en) for c in view.contradictions(a, 0)]
        if bad:
            return Findings(bad, [], [])
        return Findings(bad, [view.rows(a, 0)], [(c.zh, c.en) for c in view.modifiers(a, 0)])
    b = party_bits(parties[1])
    bad = []
    for mask, mirror, texts in plan.mirrors:
        x, y = a & mask, b & mask
        if x and y:
            if mirror.get(x) != y:
                bad.append(texts)
        elif x or y:
            inferred = mirror.get(x or y)
            if inferred is None:
                bad.append(texts)
            elif x:
                b |= inferred
            else:
                a |= inferred
    for c in view.contradictions(a, b) + view.contradictions(b, a):
        bad.append((c.zh, c.en))
    if bad:
        return Findings(bad, [], [])
    mods = [(c.zh, c.en) for c in view.modifiers(a, b) + view.modifiers(b, a)]
    return Findings(bad, [view.rows(a, b), view.rows(b, a)], mods)
