"""The condition language of fault templates, validated and compiled into one function per group. PURE.

A condition is `{"fact": "self.movement", "op": "in", "value": [...]}` over `context.*`, `case.*`, `self.*`
and `other.*`. An unknown fact is None, and every operator is false on it: a template never assumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from accident.fault_model import CASE_FACTS, CONTEXT_FACTS, PARTY_FACTS, SET_FACTS

SCALAR_OPS = frozenset({"eq", "ne", "in", "not_in"})
SET_OPS = frozenset({"contains", "not_contains", "contains_any"})
SCOPES = {"context": "c_", "case": "n_", "self": "s_", "other": "o_"}
PARTY_ORDER = ("movement", "impact", "signal", "priority", "other_from", "flags")
# The matcher's parameters, in order: the case, then self's facts, then the other party's.
PARAMS = (
    "c_junction",
    "c_collision",
    "n_party_count",
    *(f"s_{n}" for n in PARTY_ORDER),
    *(f"o_{n}" for n in PARTY_ORDER),
)
# One compiled condition: its scope (context, case, self, other) and its expression over PARAMS.
Part = tuple[str, str]

# How each operator reads, with X the fact and V the (validated) value or a constant set.
_TEMPLATES = {
    "eq": "{x} == {v}",
    "in": "{x} in {v}",
    "ne": "({x} is not None and {x} != {v})",
    "not_in": "({x} is not None and {x} not in {v})",
    "contains": "({x} is not None and {v} in {x})",
    "not_contains": "({x} is not None and {v} not in {x})",
    "contains_any": "({x} is not None and not {v}.isdisjoint({x}))",
}


class TemplateSetError(ValueError):
    """A template set that cannot be loaded: the message names the set and the bad field."""


def vocabulary(scope: str) -> Mapping[str, frozenset]:
    return {"context": CONTEXT_FACTS, "case": CASE_FACTS}.get(scope, PARTY_FACTS)


def compile_condition(raw: Any, where: str, consts: list[frozenset]) -> str:
    """Check one condition against the §2 vocabulary; return it as a Python expression over PARAMS."""
    if not isinstance(raw, dict) or set(raw) != {"fact", "op", "value"}:
        raise TemplateSetError(f"{where}: a condition is exactly {{fact, op, value}}, got {raw!r}")
    fact, op, value = raw["fact"], raw["op"], raw["value"]
    scope, _, name = str(fact).partition(".")
    if scope not in SCOPES or name not in vocabulary(scope):
        raise TemplateSetError(f"{where}.fact: unknown fact {fact!r}")
    allowed = vocabulary(scope)[name]
    if op not in (SET_OPS if name in SET_FACTS else SCALAR_OPS):
        raise TemplateSetError(f"{where}.op: operator {op!r} does not apply to {fact}")
    many = op in ("in", "not_in", "contains_any")
    values = value if many else [value]
    if not isinstance(values, list) or not values:
        raise TemplateSetError(f"{where}.value: {op} needs a non-empty list")
    for v in values:
        if v not in allowed:
            raise TemplateSetError(f"{where}.value: {v!r} is not a value of {fact}")
    # Only vocabulary values reach the source text (checked just above), as literals or constant sets.
    if many:
        consts.append(frozenset(values))
        literal = f"K[{len(consts) - 1}]"
    else:
        literal = repr(value)
    return _TEMPLATES[op].format(x=SCOPES[scope] + name, v=literal)


def compile_parts(raw: Any, where: str, consts: list[frozenset]) -> tuple[Part, ...]:
    """A non-empty list of conditions that must all hold, each as (scope, expression)."""
    if not isinstance(raw, list) or not raw:
        raise TemplateSetError(f"{where}: a predicate is a non-empty list of conditions")
    parts = []
    for i, c in enumerate(raw):
        expr = compile_condition(c, f"{where}[{i}]", consts)  # validates c first
        parts.append((str(c["fact"]).partition(".")[0], expr))
    return tuple(parts)


def fold(
    parts: tuple[Part, ...], scopes: frozenset[str], values: dict[str, Any], consts: list[frozenset]
) -> list[str] | None:
    """Partially evaluate a conjunction whose facts in `scopes` are known (`values`, keyed by parameter).

    A condition reads exactly one fact, so it is decided here when its scope is known. None when a decided
    condition is false (the predicate can never hold); otherwise the conditions left to test, an empty list
    meaning it always holds.
    """
    left: list[str] = []
    for scope, expr in parts:
        if scope in scopes:
            # the source is built only from validated vocabulary, never raw input
            if not eval(expr, {"K": tuple(consts)}, values):  # noqa: S307
                return None
        else:
            left.append(expr)
    return left


def build_case_matcher(
    predicates: list[tuple[list[str], list[list[str]]]],
    payloads: list[Any],
    params: tuple[str, ...],
    consts: list[frozenset],
    label: str,
) -> Callable[..., list]:
    """One function over `params` returning, in order, the payloads whose predicate holds and no exemption.

    Each predicate is (conditions, exemptions) as left by `fold`: an empty list of conditions always holds.
    """
    lines = [f"def match({', '.join(params)}):", "    out = []"]
    for i, (conds, exemptions) in enumerate(predicates):
        test = [*conds, *(f"not ({' and '.join(e)})" for e in exemptions)]
        lines += [f"    if {' and '.join(test) or 'True'}:", f"        out.append(P[{i}])"]
    lines.append("    return out")
    namespace: dict[str, Any] = {"K": tuple(consts), "P": tuple(payloads)}
    code = compile("\n".join(lines), f"<fault template {label}>", "exec")
    exec(code, namespace)  # noqa: S102 - the source is built only from validated vocabulary, never raw input
    return namespace["match"]
