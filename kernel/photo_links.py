"""Signed, expiring links to original photos, for insurers, adjusters and the court (served by the
`/v1/signed/v1/reports/{report_id}/photos/{photo_id}/{variant}` route, which checks the signature)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from kernel.crypto import Keyring


def signed_photo_link(
    keyring: Keyring, base_url: str, *, report_id: UUID | str, photo_id: UUID | str, ttl_s: int, at: float
) -> tuple[str, datetime]:
    """The link to one original, valid `ttl_s` seconds from `at` (a POSIX time), and when it expires."""
    path = f"/v1/signed/v1/reports/{report_id}/photos/{photo_id}/original"
    return (base_url.rstrip("/") + keyring.sign_path(path, ttl_s=ttl_s, now=at),
            datetime.fromtimestamp(int(at + ttl_s), UTC))


def signed_photo_links(
    keyring: Keyring, base_url: str, *, report_id: UUID, photos: list[Any], ttl_s: int, at: float | None = None
) -> list[dict[str, Any]]:
    """Links to the originals of `photos` (rows with id, kind, sha256), as sent in webhooks and tasks."""
    at = at if at is not None else datetime.now(UTC).timestamp()
    links = []
    for p in photos:
        url, expires = signed_photo_link(keyring, base_url, report_id=report_id, photo_id=p["id"], ttl_s=ttl_s, at=at)
        links.append({"photo_id": str(p["id"]), "kind": p["kind"], "sha256": p["sha256"],
                      "expires_at": expires.isoformat(), "url": url})
    return links
