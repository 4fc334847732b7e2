"""Errors of the fault flow, each with a stable problem type and bilingual texts."""

from __future__ import annotations

from kernel.errors import DomainError


class StaleVersion(DomainError):
    code = "stale-version"
    kind = "conflict"
    title_zh = "您看到的版本已过时，请刷新后重试"
    title_en = "The version you saw is no longer current; reload and try again"


class AlreadyDone(DomainError):
    code = "already-done"
    kind = "conflict"
    title_zh = "您已对此版本作出答复"
    title_en = "You have already answered this version"


class NotYourAccount(DomainError):
    code = "not-your-account"
    kind = "forbidden"
    title_zh = "您只能提交或修改本方的陈述"
    title_en = "You may only submit or change your own account"


class NotTheRequester(DomainError):
    code = "not-the-court-requester"
    kind = "forbidden"
    title_zh = "只有申请法院处理的当事人可以撤回申请"
    title_en = "Only the party that asked for court handling may withdraw the request"


class UnknownParty(DomainError):
    code = "unknown-party"
    kind = "not_found"
    title_zh = "本事故没有该当事人"
    title_en = "No such party in this report"


class FaultInputRefused(DomainError):
    code = "validation-error"
    kind = "invalid"
    title_zh = "输入有误"
    title_en = "Invalid input"


class NoAgreement(DomainError):
    code = "no-agreement"
    kind = "not_found"
    title_zh = "协议书尚未生成（需各方签名）"
    title_en = "No agreement yet (every party must sign first)"
