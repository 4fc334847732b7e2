"""Domain errors: structured, bilingual, and free of HTTP; the composition root maps `kind` to a status."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

ErrorKind = Literal[
    "bad_request",  # 400: the body cannot even be parsed
    "invalid",  # 422: the request is well-formed but not acceptable
    "not_found",  # 404: absent, or not visible to the caller (never reveal existence)
    "conflict",  # 409: illegal state transition or clash with existing data
    "unauthenticated",  # 401
    "forbidden",  # 403
    "rate_limited",  # 429
    "too_large",  # 413
    "timeout",  # 408: the request body did not arrive in time
    "unsupported",  # 415
    "gone",  # 410: expired
    "unavailable",  # 503
]


def field(pointer: str, zh: str, en: str) -> dict[str, str]:
    """One invalid field of a problem: where it is, and what is wrong and what to do in each language (the
    problem renderer puts the caller's language in `detail`)."""
    return {"pointer": pointer, "detail": en, "zh": zh, "en": en}


class DomainError(Exception):
    """Base of every error a use case raises on purpose.

    Subclasses set `code` (the stable problem type), `kind` and the bilingual titles; an instance
    carries a bilingual detail and optional structured fields (`errors` for field paths, extras).
    """

    code: ClassVar[str] = "domain-error"
    kind: ClassVar[ErrorKind] = "invalid"
    title_zh: ClassVar[str] = "请求无法处理"
    title_en: ClassVar[str] = "The request cannot be processed"

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        self.detail_zh = detail_zh or self.title_zh
        self.detail_en = detail_en or self.title_en
        self.errors = errors or []
        self.extra = extra
        super().__init__(self.detail_en)


class NotFound(DomainError):
    code = "not-found"
    kind = "not_found"
    title_zh = "未找到"
    title_en = "Not found"


class Conflict(DomainError):
    code = "conflict"
    kind = "conflict"
    title_zh = "当前状态不允许此操作"
    title_en = "This action is not allowed in the current state"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    kind = "unauthenticated"
    title_zh = "需要登录"
    title_en = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    kind = "forbidden"
    title_zh = "无权执行此操作"
    title_en = "You are not allowed to do this"


class RateLimited(DomainError):
    code = "rate-limited"
    kind = "rate_limited"
    title_zh = "尝试次数过多，请稍后再试"
    title_en = "Too many attempts; try again later"

    def __init__(
        self,
        detail_zh: str | None = None,
        detail_en: str | None = None,
        *,
        retry_after_s: int,
        limit: dict[str, Any] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"retry_after_s": retry_after_s}
        if limit is not None:
            extra["limit"] = limit  # which limit refused: {"name", "max", "window_s"}
        super().__init__(detail_zh, detail_en, **extra)
        self.retry_after_s = retry_after_s


class InvalidInput(DomainError):
    code = "invalid-input"
    kind = "invalid"
    title_zh = "输入有误"
    title_en = "Invalid input"
