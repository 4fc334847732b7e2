"""Signed, expiring links to original photos for insurers (and their adjusters) and the court, served by the
`/v1/signed/v1/reports/{report_id}/photos/{photo_id}/{variant}` route.

A link names the photo and its recipient (`?to=insurer:<code>` or `?to=court`) under the signature, so it is
checked again when it is used, not only when it was made: the route refuses it (403, saying why) once it has
expired, once a party of the report has withdrawn its sharing consent, or once the recipient no longer has a
claim, an assessment task or a court case on the report. A webhook's body never changes between attempts, so a
receiver whose links expired reads the claim, task or case again, which answers with freshly signed links.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from kernel.crypto import Keyring
from kernel.errors import Forbidden

COURT = "court"
_INSURER = "insurer:"


def insurer(code: str) -> str:
    """The recipient name of an insurer (its adjusters read its tasks under the same name)."""
    return _INSURER + code


def insurer_code(recipient: str) -> str | None:
    """The insurer a recipient name stands for; None for the court."""
    return recipient[len(_INSURER) :] if recipient.startswith(_INSURER) else None


def _signed_part(path: str, recipient: str) -> str:
    # Recipient names are insurer codes and "court": URL-safe as they are, and checked so.
    return f"{path}?to={recipient}"


def signed_photo_link(
    keyring: Keyring,
    base_url: str,
    *,
    report_id: UUID | str,
    photo_id: UUID | str,
    recipient: str,
    ttl_s: int,
    at: float,
) -> tuple[str, datetime]:
    """The link to one original for `recipient`, valid `ttl_s` seconds from `at` (a POSIX time), and its expiry."""
    if not recipient.replace(":", "").replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"not a recipient name: {recipient!r}")
    path = _signed_part(f"/v1/signed/v1/reports/{report_id}/photos/{photo_id}/original", recipient)
    return (
        base_url.rstrip("/") + keyring.sign_path(path, ttl_s=ttl_s, now=at),
        datetime.fromtimestamp(int(at + ttl_s), UTC),
    )


def signed_photo_links(
    keyring: Keyring,
    base_url: str,
    *,
    report_id: UUID,
    photos: list[Any],
    recipient: str,
    ttl_s: int,
    at: float | None = None,
) -> list[dict[str, Any]]:
    """Links for `recipient` to the originals of `photos` (rows with id, kind, sha256), as in webhooks and reads."""
    at = at if at is not None else datetime.now(UTC).timestamp()
    links = []
    for p in photos:
        url, expires = signed_photo_link(
            keyring,
            base_url,
            report_id=report_id,
            photo_id=p["id"],
            recipient=recipient,
            ttl_s=ttl_s,
            at=at,
        )
        links.append(
            {
                "photo_id": str(p["id"]),
                "kind": p["kind"],
                "sha256": p["sha256"],
                "expires_at": expires.isoformat(),
                "url": url,
            }
        )
    return links


class PhotoLinkInvalid(Forbidden):
    code = "photo-link-invalid"
    title_zh = "照片链接无效"
    title_en = "The photo link is not valid"


class PhotoLinkExpired(Forbidden):
    code = "photo-link-expired"
    title_zh = "照片链接已过期"
    title_en = "The photo link has expired"


class PhotoSharingWithdrawn(Forbidden):
    code = "photo-sharing-withdrawn"
    title_zh = "当事人已撤回共享同意，照片不再提供"
    title_en = "A party withdrew its consent to sharing; the photo is no longer available"


class PhotoRecipientWithoutCase(Forbidden):
    code = "photo-link-recipient-without-case"
    title_zh = "链接的接收方在本事故中已无理赔、查勘任务或法院案件"
    title_en = (
        "The link's recipient no longer has a claim, assessment task or court case on this report"
    )


def recipient_of(keyring: Keyring, *, path: str, query: Mapping[str, str], now: float) -> str:
    """The recipient a link was made for, if its signature holds and it has not expired; else 403 saying why."""
    recipient, expires, sig = query.get("to", ""), query.get("expires", ""), query.get("sig", "")
    if not recipient or not keyring.path_signed(_signed_part(path, recipient), expires, sig):
        raise PhotoLinkInvalid(
            "链接不完整或已被改动，请向服务重新获取",
            "The link is incomplete or was altered; "
            "read the claim, task or case again for a fresh one",
        )
    if int(expires) < now:
        raise PhotoLinkExpired(
            "链接已过期，请重新读取理赔、查勘任务或法院案件以获取新链接",
            "The link has expired; read the claim, task or case again for a fresh link",
        )
    return recipient
