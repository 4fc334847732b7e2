"""Telling a driver by SMS when something needs them: the other party joined, the case went to 122, the police
issued a determination, an insurer asked for documents, agreed or paid a payout, the court scheduled mediation.

`notify` runs inside the transaction of the change it tells about and queues one outbox message per recipient
party, deduplicated by event, occurrence and party: at most one text per event per driver, however often the
change is retried. The message holds no personal data (party, event, a few figures); the worker reads the
party's phone and writes the text, in Chinese, with a link into the app (the configured public base URL only,
never a client's Host), when it delivers it. `sent_to_party` lists them for the party's status page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import asyncpg

from kernel import outbox
from kernel.crypto import Keyring

TOPIC = "sms.notification"  # also written out in sent_to_party and migration 0038's index
Event = Literal[
    "party_joined",
    "referred_to_122",
    "police_determination",
    "documents_requested",
    "payout_agreed",
    "payout_paid",
    "mediation_scheduled",
    "inquiry_answered",
]

REFERRAL_ZH = {
    "move_then_call_122": "请先将车辆移至不妨碍交通的地方，再拨打122报警。",
    "call_122_stay": "请不要移动车辆，留在现场并拨打122报警。",
}

# Each event: the text sent (its blanks filled from the payload's `detail` and the link), and how the status
# page names it in Chinese and English.
TEXTS: dict[str, tuple[str, str, str]] = {
    "party_joined": (
        "【快处】对方驾驶人（{label}方）已加入您的事故报告，请打开 {link} 核对信息并继续处理。",
        "对方驾驶人已加入",
        "The other driver joined your report",
    ),
    "referred_to_122": (
        "【快处】对方当事人加入时的情况表明，本起事故不能由双方自行协商处理，已转交警处理。{action}"
        "详情：{link}",
        "已转交警（122）处理",
        "The case was referred to the police (122)",
    ),
    "police_determination": (
        "【快处】交警已对您的事故出具责任认定，请打开 {link} 查看，并选择接受或提出异议。",
        "交警已出具责任认定",
        "The police issued a liability determination",
    ),
    "documents_requested": (
        "【快处】保险公司要求您补充理赔材料，请打开 {link} 查看所需材料和截止日期。",
        "保险公司要求补充材料",
        "The insurer asked for documents",
    ),
    "payout_agreed": (
        "【快处】保险公司已与您确定赔偿金额{amount}元，请打开 {link} 查看。",
        "保险公司已确定赔偿金额",
        "The insurer agreed a payout",
    ),
    "payout_paid": (
        "【快处】保险公司已向您支付赔款{amount}元，请打开 {link} 查看。",
        "保险公司已支付赔款",
        "The insurer paid the payout",
    ),
    "mediation_scheduled": (
        "【快处】法院已安排调解，请打开 {link} 查看时间和参加方式。",
        "法院已安排调解",
        "The court scheduled mediation",
    ),
    "inquiry_answered": (
        "【快处】您的咨询或投诉已有答复，请打开 {link} 查看。",
        "咨询或投诉已答复",
        "Your inquiry or complaint was answered",
    ),
}


async def notify(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    event: Event,
    key: str,
    labels: Iterable[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Queue the event's text to every party of the report (or those of `labels`), once per (event, key,
    party): call it in the transaction of the change. `key` names the occurrence (a determination version, a
    claim...). Returns how many texts were queued now."""
    wanted = set(labels) if labels is not None else None
    parties = await conn.fetch(
        "SELECT id, label FROM parties WHERE report_id = $1::uuid ORDER BY label", report_id
    )
    queued = 0
    for p in parties:
        if wanted is not None and p["label"] not in wanted:
            continue
        msg = await outbox.enqueue(
            conn,
            topic=TOPIC,
            dedupe_key=f"sms:notify:{event}:{report_id}:{key}:{p['id']}",
            report_id=report_id,
            payload={
                "event": event,
                "party_id": str(p["id"]),
                "label": p["label"],
                "detail": detail or {},
            },
        )
        queued += msg is not None
    return queued


def _yuan(fen: Any) -> str:
    return f"{int(fen) / 100:.2f}" if isinstance(fen, int) else "—"


def text_of(event: str, *, link: str, detail: dict[str, Any]) -> str:
    return TEXTS[event][0].format(
        link=link,
        label=detail.get("label", ""),
        amount=_yuan(detail.get("amount_fen")),
        action=REFERRAL_ZH.get(detail.get("action", ""), REFERRAL_ZH["call_122_stay"]),
    )


def report_link(public_base_url: str, report_id: UUID | str) -> str:
    """Where a text sends the driver: the app's page of the report (the driver signs in there by SMS)."""
    return f"{public_base_url.rstrip('/')}/r/{report_id}"


@dataclass(frozen=True, slots=True)
class Outgoing:
    to: str
    text: str


async def compose(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    public_base_url: str,
    report_id: UUID,
    payload: dict[str, Any],
) -> Outgoing | None:
    """The text of a queued notification and the phone to send it to (None if the party is gone)."""
    phone_enc = await conn.fetchval(
        "SELECT phone_enc FROM parties WHERE id = $1::uuid", UUID(payload["party_id"])
    )
    if phone_enc is None:
        return None
    return Outgoing(
        to=keyring.decrypt(bytes(phone_enc)),
        text=text_of(
            payload["event"],
            link=report_link(public_base_url, report_id),
            detail=payload.get("detail") or {},
        ),
    )


async def sent_to_party(
    conn: asyncpg.Connection, *, report_id: UUID, party_id: UUID
) -> list[dict[str, Any]]:
    """The party's notifications, oldest first: event, what it said, queued/sent/failed and when."""
    # The topic written out (not a parameter), so that every plan can use the partial index outbox_notifications.
    rows = await conn.fetch(
        """SELECT payload, status, created_at, delivered_at FROM outbox
           WHERE report_id = $1::uuid AND topic = 'sms.notification' AND payload->>'party_id' = $2::text
           ORDER BY created_at, id""",
        report_id,
        str(party_id),
    )
    out = []
    for r in rows:
        p = r["payload"]
        _, zh, en = TEXTS[p["event"]]
        out.append(
            {
                "event": p["event"],
                "zh": zh,
                "en": en,
                "state": _STATE.get(r["status"], "queued"),
                "queued_at": r["created_at"],
                "sent_at": r["delivered_at"],
            }
        )
    return out


_STATE = {"pending": "queued", "delivered": "sent", "parked": "failed", "discarded": "failed"}
