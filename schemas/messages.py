"""What each invalid field means and what to do, in Chinese and in English.

pydantic reports an invalid field by an error `type` and a context (limits, expected values); this table
turns each type a body can produce into a sentence in both languages. Our own validators raise
`field_error(code, zh, en)` so their text is bilingual too; a plain ValueError in a validator is a defect
(the test over every model finds it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

# error type -> (zh, en); {placeholders} come from the error's context.
FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必填项，请填写", "Required: please fill it in"),
    "extra_forbidden": ("不认识的字段，请删除", "Unknown field: remove it"),
    "string_type": ("应为文字，请填写文字", "Must be text: enter text"),
    "string_too_short": (
        "太短，至少 {min_length} 个字符",
        "Too short: at least {min_length} characters",
    ),
    "string_too_long": (
        "太长，最多 {max_length} 个字符",
        "Too long: at most {max_length} characters",
    ),
    "string_pattern_mismatch": ("格式不对，请按示例填写", "Wrong format: follow the example"),
    "string_unicode": (
        "含有无法识别的字符，请重新输入",
        "Contains characters that cannot be read: type it again",
    ),
    "int_type": ("应为整数", "Must be a whole number"),
    "int_parsing": ("应为整数，请只填数字", "Must be a whole number: digits only"),
    "int_from_float": ("应为整数，不能有小数", "Must be a whole number, without decimals"),
    "float_type": ("应为数字", "Must be a number"),
    "float_parsing": ("应为数字，请只填数字", "Must be a number: digits only"),
    "finite_number": ("应为有限的数字", "Must be a finite number"),
    "bool_type": ("应为“是”或“否”（true/false）", "Must be yes or no (true/false)"),
    "bool_parsing": ("应为“是”或“否”（true/false）", "Must be yes or no (true/false)"),
    "greater_than": ("应大于 {gt}", "Must be greater than {gt}"),
    "greater_than_equal": ("应不小于 {ge}", "Must be at least {ge}"),
    "less_than": ("应小于 {lt}", "Must be less than {lt}"),
    "less_than_equal": ("应不大于 {le}", "Must be at most {le}"),
    "multiple_of": ("应为 {multiple_of} 的整数倍", "Must be a multiple of {multiple_of}"),
    "literal_error": (
        "不是可选的值，请从以下选择：{expected}",
        "Not one of the choices: pick one of {expected}",
    ),
    "enum": (
        "不是可选的值，请从以下选择：{expected}",
        "Not one of the choices: pick one of {expected}",
    ),
    "datetime_type": (
        "应为日期时间，如 2026-12-08T17:30:00+08:00",
        "Must be a date and time, e.g. 2026-12-08T17:30:00+08:00",
    ),
    "datetime_parsing": (
        "日期时间格式不对，请写成 2026-12-08T17:30:00+08:00",
        "Wrong date-time format: write it as 2026-12-08T17:30:00+08:00",
    ),
    "datetime_from_date_parsing": (
        "日期时间格式不对，请写成 2026-12-08T17:30:00+08:00",
        "Wrong date-time format: write it as 2026-12-08T17:30:00+08:00",
    ),
    "timezone_aware": ("请带上时区，如 +08:00", "Give the time zone, e.g. +08:00"),
    "datetime_past": ("应为过去的时间", "Must be in the past"),
    "datetime_future": ("应为将来的时间", "Must be in the future"),
    "date_type": ("应为日期，如 2026-12-08", "Must be a date, e.g. 2026-12-08"),
    "date_parsing": (
        "日期格式不对，请写成 2026-12-08",
        "Wrong date format: write it as 2026-12-08",
    ),
    "date_from_datetime_parsing": (
        "日期格式不对，请写成 2026-12-08",
        "Wrong date format: write it as 2026-12-08",
    ),
    "date_from_datetime_inexact": ("应为日期，不要带时间", "Must be a date without a time"),
    "list_type": ("应为列表", "Must be a list"),
    "too_short": ("至少需要 {min_length} 项", "Needs at least {min_length} items"),
    "too_long": ("最多 {max_length} 项", "At most {max_length} items"),
    "dict_type": ("应为对象（键值对）", "Must be an object (key-value pairs)"),
    "model_type": ("应为对象（键值对）", "Must be an object (key-value pairs)"),
    "model_attributes_type": ("应为对象（键值对）", "Must be an object (key-value pairs)"),
    "uuid_type": ("应为编号（UUID）", "Must be an id (UUID)"),
    "uuid_parsing": ("编号格式不对，请复制完整的编号", "Not a valid id (UUID): copy the whole id"),
    "url_type": ("应为网址", "Must be a URL"),
    "url_parsing": ("网址格式不对", "Not a valid URL"),
    "url_scheme": (
        "网址应以 {expected_schemes} 开头",
        "The URL must start with {expected_schemes}",
    ),
    "url_too_long": (
        "网址太长，最多 {max_length} 个字符",
        "URL too long: at most {max_length} characters",
    ),
    "union_tag_invalid": (
        "类型不对，请从以下选择：{expected_tags}",
        "Unknown kind: pick one of {expected_tags}",
    ),
    "union_tag_not_found": (
        "缺少类型字段 {discriminator}",
        "The kind field {discriminator} is missing",
    ),
    "value_error": ("取值无效，请检查后重试", "Invalid value: check it and try again"),
    "assertion_error": ("取值无效，请检查后重试", "Invalid value: check it and try again"),
    "frozen_field": ("此项不能修改", "This field cannot be changed"),
    "json_type": ("应为 JSON 文本", "Must be JSON text"),
    "bytes_type": ("应为二进制内容", "Must be binary content"),
    "is_instance_of": ("类型不对", "Wrong kind of value"),
    "set_type": ("应为列表（不可重复）", "Must be a list without repeats"),
}


def field_error(code: str, zh: str, en: str) -> PydanticCustomError:
    """An error our own validator raises: a stable type (`code`) and a text in each language."""
    return PydanticCustomError(code, en, {"zh": zh, "en": en})


def _fill(template: str, ctx: Mapping[str, Any], *, zh: bool) -> str:
    class _Keep(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return template.format_map(_Keep({k: _readable(v, zh=zh) for k, v in ctx.items()}))


def _readable(value: Any, *, zh: bool) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    # pydantic lists choices as "'a', 'b' or 'c'"
    return text.replace(" or ", "、").replace(", ", "、") if zh else text


def field_message(error: Mapping[str, Any]) -> tuple[str, str]:
    """(zh, en) for one pydantic error (as from `ValidationError.errors(include_context=True)`)."""
    ctx = error.get("ctx") or {}
    if "zh" in ctx and "en" in ctx:
        return str(ctx["zh"]), str(ctx["en"])
    zh, en = FIELD_MESSAGES.get(error["type"], FIELD_MESSAGES["value_error"])
    return _fill(zh, ctx, zh=True), _fill(en, ctx, zh=False)


def json_pointer(loc: tuple[int | str, ...]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts) if parts else "#"


def pointer_errors(
    errors: list[Mapping[str, Any]], prefix: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """Each invalid field as {pointer, detail (English), zh, en}; the problem renderer picks the language."""
    out = []
    for err in errors:
        zh, en = field_message(err)
        loc = prefix + tuple(p for p in err["loc"] if p != "body")
        out.append({"pointer": json_pointer(loc), "detail": en, "zh": zh, "en": en})
    return out
