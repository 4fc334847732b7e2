"""Errors of the court bridge, with no HTTP in them (the composition root maps `kind` to a status)."""

from __future__ import annotations

from kernel.errors import Conflict, InvalidInput, NotFound, Unauthenticated


class CaseNotFound(NotFound):
    code = "court-case-not-found"
    title_zh = "没有该法院案件"
    title_en = "No such court case"


class NotCorrectable(Conflict):
    code = "court-case-not-correctable"
    title_zh = "只有被法院退回或暂停发送的案件材料才能更正重发"
    title_en = "Only a package the court refused (or that was parked) can be corrected and re-sent"


class BadCorrection(InvalidInput):
    code = "court-correction-invalid"
    title_zh = "更正内容有误"
    title_en = "The correction is invalid"


class BadCallbackSignature(Unauthenticated):
    code = "court-callback-signature"
    title_zh = "法院回调签名无效或时间戳超出5分钟"
    title_en = "The court callback's signature is invalid or its timestamp is more than 5 minutes off"


class UnknownPackage(NotFound):
    code = "court-package-unknown"
    title_zh = "回调所指的案件材料不存在"
    title_en = "The callback names a package we never sent"
