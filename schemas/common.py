"""Field types shared by the request bodies: free text, phones, plates, ID numbers, locations."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from schemas.base import Strict
from schemas.messages import field_error

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Ordinary plates (京A12345, 浙B1234学), small new-energy (浙AD12345) and large new-energy (浙A12345D).
_PLATE = re.compile(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
    r"[A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]|[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF])$"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Free text refuses control characters (Cc: NUL and the like; PostgreSQL cannot even store NUL), format characters
# (Cf: bidi controls such as U+202E would make a name in the signed agreement read reversed; zero-width joiner
# and non-joiner stay, emoji and some scripts need them) and lone surrogates (Cs). Multi-line text keeps its line
# breaks.
TEXT_CHARACTER = (
    "text_character"  # the error type; its text comes in Chinese and English (schemas.messages)
)
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\n\r")


def _refuse_characters(value: str, *, multiline: bool) -> str:
    if (
        value.isprintable()
    ):  # the common case, at C speed: no Cc, Cf or Cs (nor separators other than space)
        return value
    for i, ch in enumerate(value):
        category = unicodedata.category(ch)
        if (
            category not in ("Cc", "Cf", "Cs")
            or ch in _JOINERS
            or (multiline and ch in _LINE_BREAKS)
        ):
            continue
        code = f"U+{ord(ch):04X}"
        name = unicodedata.name(ch, "")
        character = f"{code} {name}" if name else code
        raise field_error(
            TEXT_CHARACTER,
            f"不能包含控制字符或不可见的格式字符，请删除第 {i + 1} 个字符 '{code}'",
            f"Must not contain control or invisible format characters: remove {character} at "
            f"position {i + 1}",
        )
    return value


def single_line(value: str) -> str:
    return _refuse_characters(value, multiline=False)


def multi_line(value: str) -> str:
    return _refuse_characters(value, multiline=True)


def nested_text(value: Any) -> Any:
    """Every string inside a JSON value checked like multi-line text (a note may span lines), every key like a
    single line."""
    if isinstance(value, str):
        return multi_line(value)
    if isinstance(value, dict):
        for k, v in value.items():
            single_line(k)
            nested_text(v)
    elif isinstance(value, list):
        for v in value:
            nested_text(v)
    return value


# Every free-text field of a request body is one of these (a name, an address, a reason, a note...).
Text = Annotated[str, AfterValidator(single_line)]
MultilineText = Annotated[str, AfterValidator(multi_line)]


def normalise_phone(value: str) -> str:
    """Mainland mobile numbers: ASCII digits only, +86/0086 prefix dropped. Fullwidth digits and signs (NFKC)
    become ASCII, so one phone is one identity (and one rate-limit bucket) however it was typed; digits of
    other scripts are refused."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    if not _MOBILE.fullmatch(digits):
        raise field_error(
            "phone_number",
            "不是有效的中国大陆手机号（以 1 开头的 11 位数字）",
            "Not a mainland China mobile number (11 digits starting with 1)",
        )
    return digits


def normalise_plate(value: str) -> str:
    plate = value.strip().upper().replace(" ", "").replace("·", "").replace("-", "")
    if not _PLATE.match(plate):
        raise field_error(
            "plate",
            "不是有效的机动车号牌，请按 浙A12345（新能源 浙AD12345）的格式填写",
            "Not a Chinese motor-vehicle plate: write it like 浙A12345 (new-energy 浙AD12345)",
        )
    return plate


def check_id_number(value: str) -> str:
    """Resident ID numbers (also the number of a Chinese driving licence): 18 characters with checksum."""
    number = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise field_error(
            "id_number",
            "身份证号或驾驶证号为 18 位：17 位数字加 1 位数字或 X",
            "An ID or licence number has 18 characters: 17 digits and a digit or X",
        )
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != number[17]:
        raise field_error(
            "id_number_check",
            "证件号码最后一位校验码不对，请核对后重新填写",
            "The last (check) character of this ID or licence number is wrong: check the number",
        )
    return number


Phone = Annotated[
    str,
    Field(min_length=11, max_length=20, examples=["13800138000"]),
    AfterValidator(normalise_phone),
]
Plate = Annotated[
    str, Field(min_length=7, max_length=12, examples=["浙A12345"]), AfterValidator(normalise_plate)
]
IdNumber = Annotated[str, Field(min_length=18, max_length=18), AfterValidator(check_id_number)]


class Location(Strict):
    """A point. `crs` says which system the client used: WGS-84 (phone GPS, EXIF) unless it says GCJ-02
    (AMap/Tencent SDKs); the service converts and stores WGS-84."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    crs: Literal["wgs84", "gcj02"] = "wgs84"
