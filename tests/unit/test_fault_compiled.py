"""The compiled form of the template predicates answers exactly as the interpreter reads them: on every row's
positive case (either party first, and alone), every near miss, every worked example and the benchmark's
10,000 seeded cases."""

from __future__ import annotations

import pytest

from accident.fault import Facts, assess, load_shipped_sets
from bench.fault_cases import generate_mix
from tests.unit.fault_row_cases import NEAR_MISSES, POSITIVE, near_miss

NATIONAL = load_shipped_sets()["national-online"]


def both_forms_agree(data: dict) -> None:
    facts = Facts.from_dict(data)
    assert assess(NATIONAL, facts) == assess(NATIONAL, facts, fast=False), data


@pytest.mark.parametrize("code", sorted(POSITIVE))
def test_every_row_positive_case_either_party_first_and_alone(code):
    context, a, b = POSITIVE[code]
    both_forms_agree({"context": context, "parties": [a, b]})
    both_forms_agree({"context": context, "parties": [b, a]})
    both_forms_agree({"context": context, "parties": [a]})


@pytest.mark.parametrize(
    ("code", "change"), NEAR_MISSES, ids=[f"{c}-{ch[0]}.{ch[1]}" for c, ch in NEAR_MISSES]
)
def test_every_near_miss(code, change):
    context, a, b = near_miss(code, change)
    both_forms_agree({"context": context, "parties": [a, b]})


def test_the_benchmark_cases():
    for data in generate_mix(10_000, 42):
        both_forms_agree(data)
