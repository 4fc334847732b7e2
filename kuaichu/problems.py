"""One middleware turns every error into RFC 9457 problem+json, from a single table."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pydantic
from aiohttp import web

from kernel import jsonenc
from kernel.errors import DomainError, ErrorKind
from kuaichu.logs import request_id_var
from schemas.messages import pointer_errors

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

STATUS_BY_KIND: dict[ErrorKind, int] = {
    "bad_request": 400,
    "invalid": 422,
    "not_found": 404,
    "conflict": 409,
    "unauthenticated": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "too_large": 413,
    "timeout": 408,
    "unsupported": 415,
    "gone": 410,
    "unavailable": 503,
}

# aiohttp's own errors, re-rendered with stable types and bilingual texts.
HTTP_PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "请求格式错误", "Bad request"),
    401: ("unauthenticated", "需要登录", "Authentication required"),
    403: ("forbidden", "无权执行此操作", "Forbidden"),
    404: ("not-found", "未找到", "Not found"),
    405: ("method-not-allowed", "不支持此请求方法", "Method not allowed"),
    406: ("not-acceptable", "无法提供所需格式", "Not acceptable"),
    413: ("payload-too-large", "上传内容过大", "Payload too large"),
    415: ("unsupported-media-type", "不支持的内容类型", "Unsupported media type"),
}


def problem_type(code: str) -> str:
    return f"/problems/{code}"


def _prefers_english(request: web.Request) -> bool:
    accept = request.headers.get("Accept-Language", "")
    first = accept.split(",")[0].strip().lower()
    return first.startswith("en")


def problem_response(
    request: web.Request,
    *,
    status: int,
    code: str,
    title_zh: str,
    title_en: str,
    detail_zh: str,
    detail_en: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    en = _prefers_english(request)
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title_en if en else title_zh,
        "status": status,
        "detail": detail_en if en else detail_zh,
        "instance": request.path,
        "request_id": request_id_var.get(),
        "zh": {"title": title_zh, "detail": detail_zh},
        "en": {"title": title_en, "detail": detail_en},
        "errors": [_in_language(e, en) for e in errors or []],
    }
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return web.Response(
        status=status,
        body=jsonenc.dumps(body),
        content_type=PROBLEM_JSON,
        headers=headers,
    )


def _in_language(error: dict[str, str], en: bool) -> dict[str, str]:
    """A field error's `detail` in the answer's language; both texts stay under `zh` and `en`."""
    if "zh" in error and "en" in error:
        return {**error, "detail": error["en"] if en else error["zh"]}
    return error


def validation_problem(request: web.Request, exc: pydantic.ValidationError) -> web.Response:
    errors = pointer_errors(exc.errors(include_url=False))
    shown = errors[:5]
    more_zh = f"（另有 {len(errors) - 5} 处）" if len(errors) > 5 else ""
    more_en = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem_response(
        request,
        status=422,
        code="validation-error",
        title_zh="输入有误",
        title_en="Invalid input",
        detail_zh="请修改以下内容后重试："
        + "；".join(f"{e['pointer']}：{e['zh']}" for e in shown)
        + more_zh,
        detail_en="Correct these and try again: "
        + "; ".join(f"{e['pointer']}: {e['en']}" for e in shown)
        + more_en,
        errors=errors,
    )


def domain_problem(request: web.Request, exc: DomainError) -> web.Response:
    headers = {}
    extra = dict(exc.extra)
    retry_after = extra.pop("retry_after_s", None)
    if retry_after is not None:  # the same seconds in the header and the body
        headers["Retry-After"] = str(int(retry_after))
        extra["retry_after"] = int(retry_after)
    return problem_response(
        request,
        status=STATUS_BY_KIND[exc.kind],
        code=exc.code,
        title_zh=exc.title_zh,
        title_en=exc.title_en,
        detail_zh=exc.detail_zh,
        detail_en=exc.detail_en,
        errors=exc.errors,
        extra=extra,
        headers=headers,
    )


def _http_problem(request: web.Request, exc: web.HTTPException) -> web.Response:
    code, zh, en = HTTP_PROBLEMS.get(
        exc.status, ("http-error", "请求失败", exc.reason or "HTTP error")
    )
    detail_en = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else en
    headers = {}
    if exc.status == 405 and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return problem_response(
        request,
        status=exc.status,
        code=code,
        title_zh=zh,
        title_en=en,
        detail_zh=zh,
        detail_en=detail_en,
        headers=headers,
    )


_REQUEST_ID_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@web.middleware
async def problem_middleware(request: web.Request, handler):
    """Give every request an id (a sane incoming X-Request-Id is kept) that is echoed back and in every log
    line, and turn every error into an RFC 9457 problem."""
    incoming = request.headers.get("X-Request-Id", "")
    rid = (
        incoming
        if 0 < len(incoming) <= 64 and set(incoming) <= _REQUEST_ID_OK
        else secrets.token_hex(8)
    )
    token = request_id_var.set(rid)
    try:
        response = await handler(request)
    except DomainError as exc:
        response = domain_problem(request, exc)
    except pydantic.ValidationError as exc:
        response = validation_problem(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and the like pass through
            exc.headers["X-Request-Id"] = rid
            raise
        response = _http_problem(request, exc)
    except Exception:
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        response = problem_response(
            request,
            status=500,
            code="internal-error",
            title_zh="服务内部错误",
            title_en="Internal error",
            detail_zh=f"服务暂时出错，请稍后重试。请求编号：{rid}",
            detail_en=f"Something went wrong on our side; try again. Request id: {rid}",
        )
    finally:
        request_id_var.reset(token)
    response.headers["X-Request-Id"] = rid
    return response
