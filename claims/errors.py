"""Errors of the claims side, each with a stable problem type and bilingual texts."""

from __future__ import annotations

from kernel.errors import DomainError


class ClaimNotFound(DomainError):
    code = "claim-not-found"
    kind = "not_found"
    title_zh = "未找到该理赔案件"
    title_en = "Claim not found"


class ClaimTransitionRefused(DomainError):
    code = "illegal-claim-transition"
    kind = "conflict"
    title_zh = "理赔案件当前状态不允许此操作"
    title_en = "Not allowed in the claim's current state"


class ReferenceReused(DomainError):
    code = "reference-reused"
    kind = "invalid"
    title_zh = "该业务编号已用于不同的内容"
    title_en = "This reference was already used with a different body"


class AmountsDoNotAddUp(DomainError):
    code = "amounts-do-not-add-up"
    kind = "invalid"
    title_zh = "定损项目金额之和与总额不符"
    title_en = "The assessment items do not add up to the total"


class PayoutNeedsReason(DomainError):
    code = "payout-above-cover"
    kind = "invalid"
    title_zh = "赔偿金额高于核算的交强险赔付额，请说明理由"
    title_en = "The payout is above the computed cover: state a reason"


class DocumentNotFound(DomainError):
    code = "claim-document-not-found"
    kind = "not_found"
    title_zh = "未找到该理赔材料"
    title_en = "Claim document not found"


class DocumentConsentRequired(DomainError):
    code = "document-consent-required"
    kind = "forbidden"
    title_zh = "提供该材料需要您单独同意"
    title_en = "Your separate consent is needed for this document"


class NotADocument(DomainError):
    code = "not-a-document"
    kind = "unsupported"
    title_zh = "材料须为 JPEG、PNG 图片或 PDF 文件"
    title_en = "A document must be a JPEG or PNG image or a PDF"


class DocumentQuotaExceeded(DomainError):
    code = "document-quota-exceeded"
    kind = "conflict"
    title_zh = "本理赔案件的材料数量或总大小已达上限"
    title_en = "The documents of this claim have reached their limit"
