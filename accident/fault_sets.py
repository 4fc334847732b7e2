"""Template sets: data files validated and read once at load time, versioned by content. PURE."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, NamedTuple

from accident import fault_compiled
from accident.fault_conditions import (
    Case,
    Known,
    Scene,
    TemplateSetError,
    When,
    all_hold,
    describe,
    known_facts,
    parse_when,
    specialise,
)
from accident.fault_model import (
    COLLISIONS,
    JUNCTIONS,
    PARTY_FACTS,
    SET_FACTS,
    Context,
    ReviewCode,
    ReviewReason,
)

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
    when: When
    exempt: tuple[
        When, ...
    ]  # exemptions: the row does not hold for a party when one of these holds

    @property
    def predicate(self) -> str:
        return describe(self.when)


@dataclass(frozen=True, slots=True)
class Mirror:
    """Two parties' views of one fact must mirror each other; a lone view implies the other's."""

    fact: str
    pairs: Mapping[str, str]
    when: When  # on the case only; empty: always
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Check:
    """A contradiction or a modifier: fires when its predicate holds for any party."""

    code: str
    when: When
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
    codes: frozenset[
        str
    ]  # every row's code (declared scenarios are checked against it on each request)
    plans: dict[tuple, CasePlan] = field(default_factory=dict, compare=False, repr=False)

    def plan(self, context: Context, party_count: int) -> CasePlan:
        """The set specialised to a case: every condition on the junction, the collision and the party count
        decided, rules that cannot hold there dropped.

        Built on first use and kept for every case within the §2 vocabulary (a small, closed space).
        """
        key = (context.junction, context.collision, party_count)
        found = self.plans.get(key)
        if found is None:
            found = _plan(self, Case(*key))
            if (
                context.junction in JUNCTIONS
                and context.collision in COLLISIONS
                and party_count in (1, 2)
            ):
                self.plans[key] = found
        return found


class Pending(NamedTuple):
    """A rule left to test once a party's view is known: the rule, its conditions left and (rows only) the
    exemptions that can still apply."""

    rule: Any  # Row or Check
    when: When
    unless: tuple[When, ...] = ()

    def holds(self, scene: Scene) -> bool:
        """Every condition holds for the scene's party, and no exemption does."""
        return all_hold(self.when, scene) and not any(all_hold(e, scene) for e in self.unless)

    def compile(self) -> fault_compiled.Rule:
        when, unless = (
            fault_compiled.compile_when(self.when),
            tuple(map(fault_compiled.compile_when, self.unless)),
        )
        return fault_compiled.Rule(self.rule, when, unless)


class ScenePlan(NamedTuple):
    """What is left to test for a party ("self" is the party tested, "other" the other one)."""

    contradictions: tuple[Pending, ...]
    rows: tuple[Pending, ...]  # in code order
    modifiers: tuple[Pending, ...]

    def compile(self, label: str) -> fault_compiled.View:
        return fault_compiled.View(
            *(
                fault_compiled.compile_group(tuple(p.compile() for p in group), f"{label} {name}")
                for name, group in zip(self._fields, self, strict=True)
            )
        )


class CasePlan(NamedTuple):
    """One set specialised to one case; see TemplateSet.plan."""

    mirrors: tuple[Mirror, ...]  # the mirror rules that apply (two parties only)
    view: ScenePlan  # what is left to test for each party
    compiled: fault_compiled.Plan  # the same, in the compiled form


def _pending_checks(checks: tuple[Check, ...], known: Known) -> tuple[Pending, ...]:
    return tuple(
        Pending(c, left) for c in checks if (left := specialise(c.when, known)) is not None
    )


def _pending_rows(rows: tuple[Row, ...], known: Known) -> tuple[Pending, ...]:
    out = []
    for row in rows:
        left = specialise(row.when, known)
        if left is None:
            continue
        unless = [specialise(e, known) for e in row.exempt]
        if () in unless:
            continue  # always exempt here
        exemptions = tuple(e for e in unless if e is not None)
        out.append(Pending(row, left, exemptions))
    return tuple(out)


def _plan(ts: TemplateSet, case: Case) -> CasePlan:
    known = known_facts(case)
    # Every party sees the same rules (as "self"); the views differ only in whose facts are read.
    view = ScenePlan(
        _pending_checks(ts.contradictions, known),
        _pending_rows(ts.by_code, known),
        _pending_checks(ts.modifiers, known),
    )
    mirrors: tuple[Mirror, ...] = ()
    if case.party_count == 2:
        mirrors = tuple(m for m in ts.mirrors if specialise(m.when, known) == ())
    fast = fault_compiled.Plan(
        tuple(fault_compiled.compile_mirror(m.fact, dict(m.pairs), (m.zh, m.en)) for m in mirrors),
        view.compile(f"{ts.id} {case.junction}/{case.collision}/{case.party_count}"),
    )
    return CasePlan(mirrors, view, fast)


def canonical(content: Mapping[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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


def _check(raw: dict, where: str) -> Check:
    if unknown := set(raw) - {"code", "when", "zh", "en", "legal_basis"}:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    if "legal_basis" in raw:
        _legal_basis(raw["legal_basis"], f"{where}.legal_basis")
    zh, en = _texts({k: raw.get(k) for k in ("zh", "en")}, where)
    return Check(str(raw.get("code")), parse_when(raw.get("when"), f"{where}.when"), zh, en)


def _mirror(raw: dict, where: str) -> Mirror:
    if unknown := set(raw) - {"fact", "pairs", "when", "zh", "en"}:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    fact = raw.get("fact")
    if fact not in PARTY_FACTS or fact in SET_FACTS or fact == "movement":
        # movement is always given by both parties, so a plan may be chosen by it before mirroring
        raise TemplateSetError(
            f"{where}.fact: {fact!r} is not a party fact with one value that may be left out"
        )
    pairs: dict[str, str] = {}
    for a, b in raw.get("pairs") or []:
        if a not in PARTY_FACTS[fact] or b not in PARTY_FACTS[fact]:
            raise TemplateSetError(f"{where}.pairs: {a!r}/{b!r} are not values of {fact}")
        pairs[a], pairs[b] = b, a
    if any(
        isinstance(c, dict) and not str(c.get("fact")).startswith(("context.", "case."))
        for c in raw.get("when") or []
    ):
        raise TemplateSetError(
            f"{where}.when: a mirror rule depends on the case only (context.*, case.*)"
        )
    when = parse_when(raw["when"], f"{where}.when") if raw.get("when") else ()
    zh, en = _texts({k: raw.get(k) for k in ("zh", "en")}, where)
    return Mirror(fact, pairs, when, zh, en)


def parse_set(content: Mapping[str, Any]) -> TemplateSet:
    """Validate a set's data and read its predicates into conditions; any defect raises TemplateSetError."""
    sid = content.get("id")
    if not isinstance(sid, str) or not re.match(r"^[a-z0-9][a-z0-9-]{1,63}$", sid):
        raise TemplateSetError(f"id: {sid!r} is not a set id (lower-case letters, digits, '-')")
    where = f"set {sid}"
    if unknown := set(content) - _SET_KEYS:
        raise TemplateSetError(f"{where}: unknown keys {sorted(unknown)}")
    title_zh, title_en = _texts(content.get("title"), f"{where}.title")
    texts = content.get("review_texts") or {}
    if set(texts) != {c.value for c in ReviewCode}:
        raise TemplateSetError(
            f"{where}.review_texts: needs exactly {[c.value for c in ReviewCode]}"
        )
    rows: list[Row] = []
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
        when = parse_when(r.get("when"), f"{at}.when")
        rows.append(
            Row(code, zh, en, basis, str(r.get("source") or content.get("source")), when, ())
        )
    if not rows:
        raise TemplateSetError(f"{where}.rows: a set has at least one row")
    for i, ex in enumerate(content.get("exemptions") or []):
        at = f"{where}.exemptions[{i}]"
        if unknown := set(ex) - {"when", "codes", "legal_basis", "note"}:
            raise TemplateSetError(f"{at}: unknown keys {sorted(unknown)}")
        _legal_basis(ex.get("legal_basis"), f"{at}.legal_basis")
        when = parse_when(ex.get("when"), f"{at}.when")
        unknown_codes = set(ex.get("codes") or ()) - {r.code for r in rows}
        if unknown_codes or not ex.get("codes"):
            raise TemplateSetError(f"{at}.codes: unknown or missing codes {sorted(unknown_codes)}")
        rows = [replace(r, exempt=(*r.exempt, when)) if r.code in ex["codes"] else r for r in rows]
    body = canonical(content)
    digest = hashlib.sha256(body.encode()).hexdigest()
    declared = content.get("version")
    if not isinstance(declared, str) or not declared:
        raise TemplateSetError(f"{where}.version: a declared version string is required")
    review_texts = {ReviewCode(k): _texts(v, f"{where}.review_texts.{k}") for k, v in texts.items()}
    mirrors = [
        _mirror(m, f"{where}.mirrors[{i}]") for i, m in enumerate(content.get("mirrors") or [])
    ]
    checks = [
        _check(c, f"{where}.contradictions[{i}]")
        for i, c in enumerate(content.get("contradictions") or [])
    ]
    modifiers = [
        _check(c, f"{where}.modifiers[{i}]") for i, c in enumerate(content.get("modifiers") or [])
    ]
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
        by_code=tuple(sorted(rows, key=lambda r: r.code)),
        codes=frozenset(r.code for r in rows),
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
