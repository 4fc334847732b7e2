"""Errors of the report flow, each with a stable problem type and bilingual texts."""

from __future__ import annotations

from kernel.errors import DomainError


class IllegalTransition(DomainError):
    code = "illegal-transition"
    kind = "conflict"
    title_zh = "当前状态不允许此操作"
    title_en = "Not allowed in the report's current state"


class ReportNotFound(DomainError):
    code = "report-not-found"
    kind = "not_found"
    title_zh = "未找到该事故报告"
    title_en = "Report not found"


class NotEligible(DomainError):
    code = "not-eligible"
    kind = "invalid"
    title_zh = "本事故不能自行快处，请按提示拨打122"
    title_en = "This case cannot be self-handled; call 122 as instructed"


class OutsideServiceArea(DomainError):
    code = "outside-service-area"
    kind = "invalid"
    title_zh = "事故地点不在服务区域内"
    title_en = "The location is outside the service area"


class UnknownInsurer(DomainError):
    code = "unknown-insurer"
    kind = "invalid"
    title_zh = "未知的保险公司"
    title_en = "Unknown insurer"


class InvalidOccurredAt(DomainError):
    code = "invalid-occurred-at"
    kind = "invalid"
    title_zh = "事故时间不合理"
    title_en = "Implausible time of the accident"


class ConsentRequired(DomainError):
    code = "consent-required"
    kind = "invalid"
    title_zh = "需要您的同意才能继续"
    title_en = "Your consent is required to continue"


class WrongShareCode(DomainError):
    code = "wrong-share-code"
    kind = "not_found"
    title_zh = "分享码不正确或已过期"
    title_en = "Wrong or expired share code"


class DuplicatePlate(DomainError):
    code = "duplicate-plate"
    kind = "conflict"
    title_zh = "该车牌已在本事故中登记"
    title_en = "This plate is already a party to the report"


class AlreadyParty(DomainError):
    code = "already-party"
    kind = "conflict"
    title_zh = "您已是本事故的当事人"
    title_en = "You are already a party to this report"


class ReportFull(DomainError):
    code = "report-full"
    kind = "conflict"
    title_zh = "所有车辆的当事人都已加入"
    title_en = "Every vehicle's party has already joined"


class EvidenceIncomplete(DomainError):
    code = "evidence-incomplete"
    kind = "conflict"
    title_zh = "现场照片不全"
    title_en = "Required photos are missing"


class WrongCode(DomainError):
    code = "wrong-code"
    kind = "invalid"
    title_zh = "验证码不正确"
    title_en = "Wrong verification code"


class CodeExpired(DomainError):
    code = "code-expired"
    kind = "gone"
    title_zh = "验证码已过期，请重新获取"
    title_en = "The code has expired; request a new one"


class PhoneNotVerified(DomainError):
    code = "phone-not-verified"
    kind = "invalid"
    title_zh = "手机号未经验证"
    title_en = "Phone not verified"
