"""Statements with many parameters bind a named structure, not a positional list: report creation's statement
and its structure agree field for field, and a statement naming a field its structure lacks (or leaving one
unused) is refused when the module is imported."""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field

import pytest

from accident import repository
from kernel.sql import named, nested


def _leaves(cls: type, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(cls):
        inner = f.metadata.get("nested")
        out += _leaves(inner, f"{prefix}{f.name}.") if inner else [prefix + f.name]
    return out


@pytest.mark.parametrize(
    ("statement", "params"),
    [(repository._CREATE, repository.NewReport), (repository._JOIN, repository.JoiningParty)],
)
def test_the_statement_takes_every_field_of_its_structure_once(statement, params) -> None:
    numbers = {int(n) for n in re.findall(r"\$(\d+)", statement.sql)}
    assert numbers == set(range(1, len(_leaves(params)) + 1))
    assert sorted(statement.names) == sorted(_leaves(params))
    assert not re.search(r"(?<![:\w]):[A-Za-z_]", statement.sql)  # every name was bound


@dataclass(frozen=True)
class _Inner:
    b: int


@dataclass(frozen=True)
class _Outer:
    a: str
    inner: _Inner = field(metadata=nested(_Inner))


def test_names_are_numbered_once_casts_are_left_alone_and_values_follow_the_names() -> None:
    st = named("SELECT :a::text, :inner.b::int, :a::text, '{}'::jsonb", _Outer)
    assert st.sql == "SELECT $1::text, $2::int, $1::text, '{}'::jsonb"
    assert st.args(_Outer("x", _Inner(7))) == ("x", 7)


def test_a_name_without_a_field_or_a_field_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="names without a field"):
        named("SELECT :a, :inner.b, :c", _Outer)
    with pytest.raises(ValueError, match="does not use"):
        named("SELECT :a", _Outer)


def test_a_creation_binds_its_values_to_their_names() -> None:
    party = repository.NewParty(
        id=uuid.uuid4(),
        report_id=uuid.uuid4(),
        label="A",
        phone_hash=b"h",
        phone_enc=b"p",
        name_enc=b"n",
        id_number_enc=b"i",
        id_kind="resident_id",
        plate="浙A12345",
        vehicle_type="car",
        insurer_code="PICC",
        policy_number_enc=b"x",
        answers={},
    )
    joining = repository.JoiningParty(
        party=party, consent=repository.NewConsent(uuid.uuid4(), "v1", True, False), token_hash=b"t"
    )
    args = dict(zip(repository._JOIN.names, repository._JOIN.args(joining), strict=True))
    assert (
        args["party.plate"] == "浙A12345"
        and args["consent.sharing"] is False
        and args["token_hash"] == b"t"
    )
