"""Errors of the court bridge, with no HTTP in them (the composition root maps `kind` to a status)."""

from __future__ import annotations

from kernel.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated


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
    title_en = (
        "The court callback's signature is invalid or its timestamp is more than 5 minutes off"
    )


class UnknownPackage(NotFound):
    code = "court-package-unknown"
    title_zh = "回调所指的案件材料不存在"
    title_en = "The callback names a package we never sent"


class CallbackTooLarge(DomainError):
    code = "court-callback-too-large"
    kind = "too_large"
    title_zh = "法院回调内容过大"
    title_en = "The court callback's body is too large"


class CallbackTooSlow(DomainError):
    code = "request-body-timeout"
    kind = "timeout"
    title_zh = "请求内容未在规定时间内传完"
    title_en = "The request body did not arrive in time"


class CaseNumberMismatch(InvalidInput):
    code = "case-number-mismatch"
    title_zh = "回调中的案号与该案件材料的案号不一致"
    title_en = "The callback's case number differs from the package's"


class SequenceTooFar(InvalidInput):
    code = "court-callback-sequence-too-far"
    title_zh = "回调序号超出上次已处理序号过多"
    title_en = "The callback's sequence is too far above the last one applied"
