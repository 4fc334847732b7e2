"""Masks for personal data shown to someone who does not need it in full."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_id_number(number: str) -> str:
    return number[:4] + "*" * max(len(number) - 8, 4) + number[-4:] if len(number) > 8 else "****"


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
