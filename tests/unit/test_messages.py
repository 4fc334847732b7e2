"""Every problem a driver or staff member can get reads fully in Chinese and fully in English."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from kernel.errors import DomainError
from kuaichu.problems import HTTP_PROBLEMS
from schemas.messages import FIELD_MESSAGES, field_message

PACKAGES = ("accident", "claims", "geo", "court_bridge", "kernel", "kuaichu", "schemas")
CJK = re.compile(r"[\u3400-\u9fff]")
# Latin words a Chinese text may carry: names of formats, standards and laws people know by these letters.
KNOWN_LATIN = {
    "JSON",
    "PDF",
    "PNG",
    "JPEG",
    "HEIC",
    "URL",
    "ID",
    "UUID",
    "SHA",
    "EXIF",
    "GPS",
    "SMS",
    "API",
    "HTTP",
    "HTTPS",
    "X",
    "A",
    "B",
    "C",
    "D",
    "true",
    "false",
    "T",
    "reason",
    "sha256",
    "url",
    "Idempotency",
    "Key",
    "multipart",
    "form",
    "data",
    "application",
    "json",
    "Content",
    "Type",
    "AD",
    "sha",
    "whsec",
    "Base",
}


def _modules() -> Iterator[object]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            yield importlib.import_module(info.name)


def _subclasses(base: type) -> set[type]:
    found = set()
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


MODULES = list(_modules())
DOMAIN_ERRORS = sorted(_subclasses(DomainError) | {DomainError}, key=lambda c: c.__qualname__)


def reads_as_chinese(text: str) -> bool:
    """Chinese, with Latin letters only in known abbreviations, field names in brackets and quoted values a
    client sends (the choices of a field are API values)."""
    latin = re.findall(r"[A-Za-z]+", re.sub(r"'[^']*'|（[A-Za-z_]+）", "", text))
    return bool(CJK.search(text)) and all(w in KNOWN_LATIN for w in latin)


def reads_as_english(text: str) -> bool:
    """English; Chinese characters only in a plate (浙A12345) or a statute's name before its article (§)."""
    text = re.sub(r"[\u3400-\u9fff]+[A-Z0-9]+|[\u3400-\u9fff]+ §", "", text)
    return not CJK.search(text) and bool(re.search(r"[A-Za-z]{3}", text))


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda c: c.__qualname__)
def test_each_problem_type_has_a_chinese_and_an_english_title(error: type[DomainError]):
    assert reads_as_chinese(error.title_zh), error.title_zh
    assert reads_as_english(error.title_en), error.title_en
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", error.code), error.code


@pytest.mark.parametrize("status", sorted(HTTP_PROBLEMS))
def test_each_http_level_problem_has_both_languages(status: int):
    _, zh, en = HTTP_PROBLEMS[status]
    assert reads_as_chinese(zh) and reads_as_english(en)


def _models() -> list[type[pydantic.BaseModel]]:
    seen: dict[str, type[pydantic.BaseModel]] = {}
    for module in MODULES:
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, pydantic.BaseModel)
                and obj.__module__ == module.__name__
                and not obj.__name__.startswith("_")
                and "settings" not in module.__name__
            ):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [seen[k] for k in sorted(seen)]


MODELS = _models()
# What a careless or hostile client may put in any field.
BAD_VALUES: tuple[object, ...] = (
    None,
    [],
    {},
    "",
    "x" * 20_000,
    -(10**12),
    10**12,
    1.5,
    True,
    "not-a-value",
    "2026-13-45T99:00",
    [{}],
    {"k": "v"},
    "0" * 64,
    "a\u202eb",
    "\u0000",
)


def _error_types() -> dict[str, dict[str, tuple[str, str]]]:
    """Every pydantic error type the models produce for missing fields, unknown keys and bad values, with the
    models producing it and the texts a person reads."""
    found: dict[str, dict[str, tuple[str, str]]] = {}

    def collect(model: type[pydantic.BaseModel], data: object) -> None:
        try:
            model.model_validate(data)
        except pydantic.ValidationError as exc:
            for err in exc.errors(include_url=False):
                found.setdefault(err["type"], {})[model.__qualname__] = field_message(err)

    for model in MODELS:
        collect(model, {})
        collect(model, {"__unknown_field__": 1})
        collect(model, "not an object")
        for name in model.model_fields:
            for bad in BAD_VALUES:
                collect(model, {name: bad})
    return found


ERROR_TYPES = _error_types()


def test_the_walk_covers_the_bodies_drivers_send():
    names = {m.__qualname__ for m in MODELS}
    assert {
        "ReportCreate",
        "ReportJoin",
        "EligibilityCheck",
        "FaultAssess",
        "AssessmentCreate",
    } <= names
    assert {"missing", "extra_forbidden", "string_too_long", "literal_error"} <= set(ERROR_TYPES)


@pytest.mark.parametrize("error_type", sorted(ERROR_TYPES))
def test_each_field_error_a_body_can_produce_says_what_to_do_in_both_languages(error_type: str):
    models = ", ".join(sorted(ERROR_TYPES[error_type]))
    assert error_type != "value_error", (
        f"a validator raises a plain ValueError (use field_error) in: {models}"
    )
    assert error_type in FIELD_MESSAGES or _custom(error_type), (
        f"{error_type} has no text (from {models})"
    )
    for model, (zh, en) in ERROR_TYPES[error_type].items():
        assert reads_as_chinese(zh), (model, zh)
        assert reads_as_english(en), (model, en)


def _custom(error_type: str) -> bool:
    """Our own validators' errors carry their texts with them (schemas.messages.field_error)."""
    return error_type not in pydantic_core_types()


def pydantic_core_types() -> set[str]:
    from pydantic_core.core_schema import ErrorType

    return set(typing.get_args(ErrorType))


@pytest.mark.parametrize(("error_type", "texts"), sorted(FIELD_MESSAGES.items()))
def test_each_field_text_is_chinese_and_english(error_type: str, texts: tuple[str, str]):
    zh, en = texts
    assert error_type in pydantic_core_types()
    assert reads_as_chinese(zh.format_map({"x": 1} | _placeholders(zh))), zh
    assert reads_as_english(en), en


def _placeholders(text: str) -> dict[str, str]:
    return {k: "1" for k in re.findall(r"\{(\w+)\}", text)}


def test_every_field_error_raised_by_our_code_carries_both_languages():
    """Field errors are built with kernel.errors.field (or from pydantic through schemas.messages), never as
    bare dicts with one English `detail`."""
    allowed = {"kernel/errors.py", "schemas/messages.py", "court_bridge/simulator.py"}
    root = Path(__file__).parents[2]
    bare = [
        f"{path.relative_to(root)}:{n}"
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if str(path.relative_to(root)) not in allowed
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if '{"pointer":' in line
    ]
    assert bare == []
