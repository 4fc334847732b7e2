"""Template sets are data: validated at load, versioned by content, and extended without code."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from accident.fault import Facts, TemplateSetError, assess, load_set_json, parse_set
from accident.fault_sets import LEGAL_BASIS

RAW = json.loads(
    resources.files("accident.templates").joinpath("national-online.json").read_text("utf-8")
)


def changed(path: str, value) -> dict:
    """A copy of the national set with one field (dotted path, list indexes as numbers) replaced."""
    data = copy.deepcopy(RAW)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return data


BAD = [
    (
        "unknown fact",
        "rows.0.when.0",
        {"fact": "context.weather", "op": "eq", "value": "rain"},
        "unknown fact",
    ),
    (
        "unknown scope",
        "rows.0.when.0",
        {"fact": "third.movement", "op": "eq", "value": "straight"},
        "unknown fact",
    ),
    (
        "unknown value",
        "rows.0.when.0",
        {"fact": "self.movement", "op": "eq", "value": "flying"},
        "not a value",
    ),
    (
        "unknown flag",
        "rows.13.when.0",
        {"fact": "self.flags", "op": "contains", "value": "drunk"},
        "not a value",
    ),
    (
        "unknown operator",
        "rows.0.when.0",
        {"fact": "self.movement", "op": "like", "value": "x"},
        "operator",
    ),
    (
        "set operator on a scalar",
        "rows.0.when.0",
        {"fact": "self.movement", "op": "contains", "value": "straight"},
        "operator",
    ),
    (
        "in without a list",
        "rows.0.when.0",
        {"fact": "self.movement", "op": "in", "value": "straight"},
        "list",
    ),
    (
        "extra key in a condition",
        "rows.0.when.0",
        {"fact": "self.movement", "op": "eq", "value": "x", "y": 1},
        "exactly",
    ),
    ("empty predicate", "rows.0.when", [], "non-empty"),
    ("bad legal basis prefix", "rows.0.legal_basis", ["交通法第四十三条"], "§4 form"),
    ("arabic article number", "rows.0.legal_basis", ["道路交通安全法第43条"], "§4 form"),
    ("no legal basis", "rows.0.legal_basis", [], "legal basis"),
    ("duplicate code", "rows.1.code", "Q01", "duplicate"),
    ("exemption for an unknown code", "exemptions.0.codes", ["Q99"], "Q99"),
    ("missing review text", "review_texts", {}, "review_texts"),
    ("unknown set key", "colour", "red", "unknown keys"),
    ("missing title", "rows.0.title", {"zh": "追尾"}, "zh and en"),
]


@pytest.mark.parametrize(("name", "path", "value", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_defective_set_is_refused_at_load_with_a_clear_error(name, path, value, message):
    with pytest.raises(TemplateSetError, match=message):
        parse_set(changed(path, value))


@pytest.mark.parametrize(
    "basis",
    [
        "道路交通安全法实施条例第五十二条第二项",
        "道路交通安全法第四十三条",
        "道路交通事故处理程序规定第六十条",
        "机动车交通事故责任强制保险条例第二十一条第一款",
        "道路交通安全法实施条例第三十八条第三款第一项",
    ],
)
def test_legal_basis_in_the_section_4_form_is_accepted(basis):
    assert LEGAL_BASIS.match(basis)


def test_every_shipped_row_carries_legal_basis_and_source():
    ts = parse_set(RAW)
    assert all(r.legal_basis and r.source for r in ts.rows)


def test_the_version_changes_whenever_the_data_changes():
    same = parse_set(copy.deepcopy(RAW))
    retitled = parse_set(changed("rows.0.title", {"zh": "追尾", "en": "Rear-end"}))
    assert same.version == parse_set(RAW).version
    assert retitled.version != same.version and retitled.version.startswith(RAW["version"] + "+")


def test_a_stored_version_loads_back_to_the_same_set():
    ts = parse_set(RAW)
    again = load_set_json(ts.content)
    assert (again.id, again.version, again.digest) == (ts.id, ts.version, ts.digest)


def test_a_new_row_added_as_data_alone_matches():
    data = copy.deepcopy(RAW)
    data["id"] = "zhejiang-online"
    data["rows"].append(
        {
            "code": "Z01",
            "title": {"zh": "违法占用应急车道", "en": "Drives in the emergency lane"},
            "when": [
                {"fact": "self.flags", "op": "contains", "value": "reserved_lane"},
                {"fact": "context.collision", "op": "eq", "value": "sideswipe_same_direction"},
            ],
            "legal_basis": ["道路交通安全法实施条例第八十二条第四项"],
            "source": "浙江省道路交通安全条例（示例）",
        }
    )
    ts = parse_set(data)
    facts = Facts.from_dict(
        {
            "context": {"junction": "none", "collision": "sideswipe_same_direction"},
            "parties": [
                {"id": "A", "movement": "straight", "flags": ["reserved_lane"]},
                {"id": "B", "movement": "straight"},
            ],
        }
    )
    d = assess(ts, facts)
    assert [(m.party, m.code) for m in d.matched] == [("A", "B02"), ("A", "Z01")]
    assert (d.set_id, d.outcome) == ("zhejiang-online", "determined")
    assert [a.share_percent for a in d.allocations] == [100, 0]
    assert d.matched[1].legal_basis == ("道路交通安全法实施条例第八十二条第四项",)
