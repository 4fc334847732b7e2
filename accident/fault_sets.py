"""Template sets: data files validated and compiled once at load time, versioned by content. PURE."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, NamedTuple

from accident.fault_conditions import (
    PARTY_ORDER,
    Part,
    TemplateSetError,
    build_case_matcher,
    compile_parts,
    fold,
)
from accident.fault_model import COLLISIONS, JUNCTIONS, PARTY_FACTS, SET_FACTS, ReviewCode, ReviewReason
from kernel.canonical import canonical_text, sha256_hex

DEFAULT_SET = "national-online"
# §4: one of four statute prefixes, then 第…条 [第…款] [第…项] in Chinese numerals.
_NUM = "[一二三四五六七八九十百零]+"
LEGAL_BASIS = re.compile(
    rf"^(道路交通安全法实施条例|道路交通安全法|道路交通事故处理程序规定|机动车交通事故责任强制保险条例)"
    rf"第{_NUM}条(第{_NUM}款)?(第{_NUM}项)?$"
)
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
_SET_KEYS = {
    "id",
    "version",
    "title",
    "source",
    "review_texts",
    "mirrors",
    "contradictions",
    "modifiers",
    "exemptions",
    "rows",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One scenario: when its predicate holds for a party, that party is at fault under `legal_basis`."""

    code: str
    title_zh: str
    title_en: str
    legal_basis: tuple[str, ...]
    source: str
    predicate: str  # compiled source, kept for reading and debugging
    exempt: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mirror:
    """Two parties' views of one fact must mirror each other; a lone view implies the other's."""

    fact: str
    pairs: Mapping[str, str]
    when: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Check:
    """A contradiction or a modifier: fires when its predicate holds for any party."""

    code: str
    predicate: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class TemplateSet:
    id: str
    version: str
    digest: str
    title_zh: str
    title_en: str
    source: str
    content: str  # canonical JSON of the data file, as stored for replay
    rows: tuple[Row, ...]
    mirrors: tuple[Mirror, ...]
    contradictions: tuple[Check, ...]
    modifiers: tuple[Check, ...]
    review_texts: Mapping[ReviewCode, tuple[str, str]]
    plain_reasons: Mapping[ReviewCode, ReviewReason]  # built once: most reviews need no specifics
    by_code: tuple[Row, ...]  # the rows sorted by code
    codes: frozenset[str]  # every row's code (declared scenarios are checked against it on each request)
    # The predicates as parts, for the per-case plans below (not part of the set's identity).
    spec: _Spec = field(compare=False, repr=False)
    plans: dict[tuple, CasePlan] = field(default_factory=dict, compare=False, repr=False)

    def plan(self, junction: str, collision: str, party_count: int) -> CasePlan:
        """The set specialised to one case: conditions on the case decided, impossible rows dropped.

        Built on first use and kept for every case within the §2 vocabulary (a small, closed space).
        """
        key = (junction, collision, party_count)
        found = self.plans.get(key)
        if found is None:
            found = _plan(self, self.spec, junction, collision, party_count)
            if junction in JUNCTIONS and collision in COLLISIONS and party_count in (1, 2):
                self.plans[key] = found
        return found


class CasePlan(NamedTuple):
    """One set specialised to one case (junction, collision, party count); see TemplateSet.plan.

    mirrors: (slot in PARTY_ORDER, pairs, (zh, en)) of the mirror rules that apply (two parties only).
    The three functions take self's facts then, for two parties, the other's (PARTY_ORDER each):
    contradictions and modifiers return the (zh, en) of those that hold, rows the Rows that hold in code
    order.
    """

    mirrors: tuple[tuple[int, Mapping[str, str], tuple[str, str]], ...]
    contradictions: Callable[..., list[tuple[str, str]]]
    rows: Callable[..., list[Row]]
    modifiers: Callable[..., list[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class _Spec:
    """The compiled parts of every predicate, kept to specialise the set per case."""

    consts: list[frozenset]
    rows: tuple[tuple[Part, ...], ...]  # in code order, like TemplateSet.by_code
    exemptions: tuple[tuple[tuple[Part, ...], ...], ...]  # per row in code order
    mirrors: tuple[tuple[Part, ...], ...]
    contradictions: tuple[tuple[Part, ...], ...]
    modifiers: tuple[tuple[Part, ...], ...]


_SELF = tuple(f"s_{n}" for n in PARTY_ORDER)
_OTHER = tuple(f"o_{n}" for n in PARTY_ORDER)


def _plan(ts: TemplateSet, spec: _Spec, junction: str, collision: str, n: int) -> CasePlan:
    values: dict[str, Any] = {"c_junction": junction, "c_collision": collision, "n_party_count": n}
    if n == 2:
        scopes, params = frozenset({"context", "case"}), (*_SELF, *_OTHER)
    else:  # a lone party: every fact about the other is unknown, so conditions on it are decided too
        scopes, params = frozenset({"context", "case", "other"}), _SELF
        values.update(dict.fromkeys(_OTHER))
    consts = spec.consts
    label = f"{ts.id} {junction}/{collision}/{n}"

    def checks(parts: tuple[tuple[Part, ...], ...], defs: tuple[Check, ...], what: str) -> Callable:
        preds: list[Any] = []
        payloads: list[Any] = []
        for p, c in zip(parts, defs, strict=True):
            left = fold(p, scopes, values, consts)
            if left is not None:
                preds.append((left, []))
                payloads.append((c.zh, c.en))
        return build_case_matcher(preds, payloads, params, consts, f"{label} {what}")

    rows, payloads = [], []
    for row, parts, exemptions in zip(ts.by_code, spec.rows, spec.exemptions, strict=True):
        left = fold(parts, scopes, values, consts)
        if left is None:
            continue
        unless = [fold(e, scopes, values, consts) for e in exemptions]
        if any(e == [] for e in unless):
            continue  # always exempt here
        rows.append((left, [e for e in unless if e is not None]))
        payloads.append(row)
    mirrors: tuple[Any, ...] = ()
    if n == 2:
        mirrors = tuple(
            (PARTY_ORDER.index(m.fact), m.pairs, (m.zh, m.en))
            for m, parts in zip(ts.mirrors, spec.mirrors, strict=True)
            if fold(parts, scopes, values, consts) == []
        )
    return CasePlan(
        mirrors,
        checks(spec.contradictions, ts.contradictions, "contradictions"),
        build_case_matcher(rows, payloads, params, consts, f"{label} rows"),
        checks(spec.modifiers, ts.modifiers, "modifiers"),
    )




def _texts(raw: Any, where: str) -> tuple[str, str]:
    if (
        not isinstance(raw, dict)
        or set(raw) != {"zh", "en"}
        or not all(isinstance(v, str) and v for v in raw.values())
    ):
        raise TemplateSetError(f"{where}: needs exactly non-empty zh and en texts")
    return raw["zh"], raw["en"]


def _legal_basis(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise TemplateSetError(f"{where}: every row carries at least one legal basis")
    for i, text in enumerate(raw):
        if not isinstance(text, str) or not LEGAL_BASIS.match(text):
            raise TemplateSetError(
                f"{where}[{i}]: {text!r} is not in the §4 form, e.g. 道路交通安全法第四十三条"
            )
    return tuple(raw)


def _joined(parts: tuple[Part, ...]) -> str:
    return " and ".join(expr for _, expr in parts) or "True"


def _check(raw: dict, where: str, consts: list[frozenset]) -> tuple[Check, tuple[Part, ...]]:
    if unknown := set(raw) - {"code", "when", "zh", "en", "legal_basis"}:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    if "legal_basis" in raw:
        _legal_basis(raw["legal_basis"], f"{where}.legal_basis")
    zh, en = _texts({k: raw.get(k) for k in ("zh", "en")}, where)
    parts = compile_parts(raw.get("when"), f"{where}.when", consts)
    return Check(str(raw.get("code")), _joined(parts), zh, en), parts


def _mirror(raw: dict, where: str, consts: list[frozenset]) -> tuple[Mirror, tuple[Part, ...]]:
    if unknown := set(raw) - {"fact", "pairs", "when", "zh", "en"}:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    fact = raw.get("fact")
    if fact not in PARTY_FACTS or fact in SET_FACTS:
        raise TemplateSetError(f"{where}.fact: {fact!r} is not a party fact with one value")
    pairs: dict[str, str] = {}
    for a, b in raw.get("pairs") or []:
        if a not in PARTY_FACTS[fact] or b not in PARTY_FACTS[fact]:
            raise TemplateSetError(f"{where}.pairs: {a!r}/{b!r} are not values of {fact}")
        pairs[a], pairs[b] = b, a
    if any(
        isinstance(c, dict) and not str(c.get("fact")).startswith(("context.", "case."))
        for c in raw.get("when") or []
    ):
        raise TemplateSetError(f"{where}.when: a mirror rule depends on the case only (context.*, case.*)")
    parts = compile_parts(raw["when"], f"{where}.when", consts) if raw.get("when") else ()
    zh, en = _texts({k: raw.get(k) for k in ("zh", "en")}, where)
    return Mirror(fact, pairs, _joined(parts), zh, en), parts


def parse_set(content: Mapping[str, Any]) -> TemplateSet:
    """Validate a set's data and compile its predicates; any defect raises TemplateSetError."""
    sid = content.get("id")
    if not isinstance(sid, str) or not re.match(r"^[a-z0-9][a-z0-9-]{1,63}$", sid):
        raise TemplateSetError(f"id: {sid!r} is not a set id (lower-case letters, digits, '-')")
    where = f"set {sid}"
    if unknown := set(content) - _SET_KEYS:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    title_zh, title_en = _texts(content.get("title"), f"{where}.title")
    texts = content.get("review_texts") or {}
    if set(texts) != {c.value for c in ReviewCode}:
        raise TemplateSetError(f"{where}.review_texts: needs exactly {[c.value for c in ReviewCode]}")
    consts: list[frozenset] = []
    rows: list[Row] = []
    row_parts: dict[str, tuple[Part, ...]] = {}
    exempt_parts: dict[str, tuple[tuple[Part, ...], ...]] = {}
    for i, r in enumerate(content.get("rows") or []):
        at = f"{where}.rows[{i}]"
        code = r.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            raise TemplateSetError(f"{at}.code: {code!r} is not a scenario code")
        if any(x.code == code for x in rows):
            raise TemplateSetError(f"{at}.code: duplicate code {code}")
        if unknown := set(r) - {"code", "title", "when", "legal_basis", "source"}:
            raise TemplateSetError(f"{at}: unknown keys {sorted(unknown)}")
        zh, en = _texts(r.get("title"), f"{at}.title")
        basis = _legal_basis(r.get("legal_basis"), f"{at}.legal_basis")
        row_parts[code] = compile_parts(r.get("when"), f"{at}.when", consts)
        exempt_parts[code] = ()
        rows.append(
            Row(
                code,
                zh,
                en,
                basis,
                str(r.get("source") or content.get("source")),
                _joined(row_parts[code]),
                (),
            )
        )
    if not rows:
        raise TemplateSetError(f"{where}.rows: a set has at least one row")
    for i, ex in enumerate(content.get("exemptions") or []):
        at = f"{where}.exemptions[{i}]"
        if unknown := set(ex) - {"when", "codes", "legal_basis", "note"}:
            raise TemplateSetError(f"{at}: unknown keys {sorted(unknown)}")
        _legal_basis(ex.get("legal_basis"), f"{at}.legal_basis")
        ex_parts = compile_parts(ex.get("when"), f"{at}.when", consts)
        when = _joined(ex_parts)
        unknown_codes = set(ex.get("codes") or ()) - {r.code for r in rows}
        if unknown_codes or not ex.get("codes"):
            raise TemplateSetError(f"{at}.codes: unknown or missing codes {sorted(unknown_codes)}")
        rows = [replace(r, exempt=(*r.exempt, when)) if r.code in ex["codes"] else r for r in rows]
        for code in dict.fromkeys(ex["codes"]):
            exempt_parts[code] = (*exempt_parts[code], ex_parts)
    body = canonical_text(content)
    digest = sha256_hex(body.encode())
    declared = content.get("version")
    if not isinstance(declared, str) or not declared:
        raise TemplateSetError(f"{where}.version: a declared version string is required")
    review_texts = {ReviewCode(k): _texts(v, f"{where}.review_texts.{k}") for k, v in texts.items()}
    mirrors_parts = [
        _mirror(m, f"{where}.mirrors[{i}]", consts) for i, m in enumerate(content.get("mirrors") or [])
    ]
    checks_parts = [
        _check(c, f"{where}.contradictions[{i}]", consts)
        for i, c in enumerate(content.get("contradictions") or [])
    ]
    modifiers_parts = [
        _check(c, f"{where}.modifiers[{i}]", consts) for i, c in enumerate(content.get("modifiers") or [])
    ]
    mirrors = [m for m, _ in mirrors_parts]
    checks = [c for c, _ in checks_parts]
    modifiers = [c for c, _ in modifiers_parts]
    by_code = tuple(sorted(rows, key=lambda r: r.code))
    return TemplateSet(
        id=sid,
        version=f"{declared}+{digest[:12]}",
        digest=digest,
        title_zh=title_zh,
        title_en=title_en,
        source=str(content.get("source") or ""),
        content=body,
        rows=tuple(rows),
        mirrors=tuple(mirrors),
        contradictions=tuple(checks),
        modifiers=tuple(modifiers),
        review_texts=review_texts,
        plain_reasons={code: ReviewReason(code, *zh_en) for code, zh_en in review_texts.items()},
        by_code=by_code,
        codes=frozenset(r.code for r in rows),
        spec=_Spec(
            consts,
            tuple(row_parts[r.code] for r in by_code),
            tuple(exempt_parts[r.code] for r in by_code),
            tuple(p for _, p in mirrors_parts),
            tuple(p for _, p in checks_parts),
            tuple(p for _, p in modifiers_parts),
        ),
    )


def load_set_json(text: str) -> TemplateSet:
    """A set from its JSON text (a shipped file, or a version stored for replay)."""
    return parse_set(json.loads(text))


def load_shipped_sets() -> dict[str, TemplateSet]:
    """Every set under accident/templates, keyed by id; two files with one id is an error."""
    found: dict[str, TemplateSet] = {}
    for entry in sorted(resources.files("accident.templates").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            ts = load_set_json(entry.read_text(encoding="utf-8"))
            if ts.id in found:
                raise TemplateSetError(f"two template files declare set {ts.id}")
            found[ts.id] = ts
    if DEFAULT_SET not in found:
        raise TemplateSetError(f"the default set {DEFAULT_SET} is not shipped")
    return found
