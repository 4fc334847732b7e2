"""Use cases of report intake: create, join, read, share codes, submit evidence. Each owns its transaction."""

from __future__ import annotations

import base64
import dataclasses
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from accident import repository as repo
from accident.eligibility import CaseAnswers, PartyAnswers, Verdict, check
from accident.errors import (
    ConsentRequired,
    InvalidOccurredAt,
    NotEligible,
    OutsideServiceArea,
    PhoneNotVerified,
    ReportNotFound,
)
from accident.model import Status
from accident.privacy import NOTICE_VERSION
from accident.views import Viewer, eligibility_out, render_report
from geo.coords import gcj02_to_wgs84
from kernel import idempotency, jsonenc, ratelimit
from kernel.crypto import Keyring, new_token
from kernel.errors import field
from kernel.identity import PartyPrincipal, PhonePrincipal, Principal, StaffPrincipal
from kernel.local_time import written
from kernel.pipeline import PipelinedStatement
from kernel.ratelimit import Limit, Window
from kernel.sessions import PARTY_PREFIX
from schemas.reports import PartyIn, ReportCreate

SHARE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud without confusion
MAX_AGE = timedelta(hours=72)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Located:
    zone_id: str
    zone_name: str
    kind: str
    near_boundary: bool


class ZoneLocator(Protocol):
    def __call__(self, lat: float, lon: float) -> Located | None: ...


@dataclass(frozen=True, slots=True)
class IntakePolicy:
    share_code_ttl_s: int
    share_code_max_attempts: int
    public_base_url: str
    reports_per_phone_per_hour: int = 3
    invitations_per_phone_per_hour: int = 3
    rate_limits: bool = True


def creation_limits(policy: IntakePolicy, phone_hash: bytes) -> tuple[Limit, Limit]:
    """Report creations and SMS invitations per phone, counted over all its sessions (a new login does not
    reset them): a session cannot be used to flood the service with reports or others' phones with texts."""
    r, i = policy.reports_per_phone_per_hour, policy.invitations_per_phone_per_hour
    return (
        Limit(
            f"report:phone:{phone_hash.hex()}",
            (
                Window(
                    "reports-per-phone-per-hour",
                    r,
                    3600,
                    f"每个手机号每小时最多创建{r}起事故报告",
                    f"A phone opens at most {r} reports an hour",
                ),
            ),
        ),
        Limit(
            f"invitation:phone:{phone_hash.hex()}",
            (
                Window(
                    "invitations-per-phone-per-hour",
                    i,
                    3600,
                    f"每个手机号每小时最多发送{i}条短信邀请",
                    f"A phone sends at most {i} SMS invitations an hour",
                ),
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class Intake:
    """What the intake use cases need from the composition root."""

    pool: asyncpg.Pool
    keyring: Keyring
    locate: ZoneLocator
    policy: IntakePolicy
    creations: PipelinedStatement  # repository.creation_pipeline(pool)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Idempotency:
    scope: str
    key: str
    request_hash: bytes


def new_share_code() -> str:
    # 32 symbols divide 256: one byte per symbol is unbiased (40 bits in all), from one system call.
    raw = "".join(SHARE_ALPHABET[b % 32] for b in os.urandom(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_share_code(code: str) -> str:
    raw = code.strip().upper().replace("-", "").replace(" ", "")
    return f"{raw[:4]}-{raw[4:]}"


def verdict_for(case: Any, party: PartyIn, label: str) -> Verdict:
    answers = PartyAnswers(id=label, **party.answers.model_dump())
    return check(CaseAnswers(**case.model_dump()), (answers,))


def check_consent(consent: Any) -> None:
    if consent.notice_version != NOTICE_VERSION:
        raise ConsentRequired(
            f"隐私告知已更新为 {NOTICE_VERSION} 版，请阅读后重新同意",
            f"The privacy notice is now version {NOTICE_VERSION}; read it and consent again",
            errors=[
                field(
                    "#/consent/notice_version",
                    f"请阅读并同意最新的告知书（版本 {NOTICE_VERSION}）",
                    f"Read and accept the current notice (version {NOTICE_VERSION})",
                )
            ],
            current_version=NOTICE_VERSION,
        )
    if not consent.location:
        raise ConsentRequired(
            "处理事故地点需要您的同意，否则无法受理报案",
            "Processing the accident location needs your consent",
            errors=[
                field(
                    "#/consent/location",
                    "需要同意使用位置信息才能处理事故",
                    "Consent to the use of your location is needed to handle the accident",
                )
            ],
        )


def check_phone(keyring: Keyring, who: PhonePrincipal, party: PartyIn) -> None:
    if keyring.phone_hash(party.driver.phone) != who.phone_hash:
        raise PhoneNotVerified(
            "驾驶人手机号须与登录验证的手机号一致",
            "The driver's phone must be the one verified for this session",
            errors=[
                field(
                    "#/party/driver/phone",
                    "应填写您验证过的手机号",
                    "Give the phone number you verified",
                )
            ],
        )


def new_party(
    keyring: Keyring,
    party: PartyIn,
    *,
    party_id: UUID,
    report_id: UUID,
    label: str,
    phone_hash: bytes,
) -> repo.NewParty:
    """The party's row from its request (personal data encrypted): the one place creating and joining build it."""
    return repo.NewParty(
        id=party_id,
        report_id=report_id,
        label=label,
        phone_hash=phone_hash,
        phone_enc=keyring.encrypt(party.driver.phone),
        name_enc=keyring.encrypt(party.driver.name),
        id_number_enc=keyring.encrypt(party.driver.id_number),
        id_kind=party.driver.id_kind,
        plate=party.vehicle.plate,
        vehicle_type=party.vehicle.type,
        insurer_code=party.insurance.insurer_code,
        policy_number_enc=keyring.encrypt(party.insurance.policy_number),
        answers=party.answers.model_dump(),
    )


def new_consent(consent: Any) -> repo.NewConsent:
    return repo.NewConsent(
        id=uuid.uuid4(),
        notice_version=consent.notice_version,
        location=consent.location,
        sharing=consent.sharing,
    )


def party_audit(label: str, party: PartyIn, consent: Any) -> list[tuple[str, str, dict]]:
    """Audit changes of a new party: personal data is named but never written out."""
    fields = {
        "label": label,
        "plate": party.vehicle.plate,
        "vehicle_type": party.vehicle.type,
        "insurer_code": party.insurance.insurer_code,
        "policy_number": "<encrypted>",
        "name": "<encrypted>",
        "id_number": "<encrypted>",
        "phone": "<encrypted>",
    }
    consent_fields = {
        "notice_version": consent.notice_version,
        "location": consent.location,
        "sharing": consent.sharing,
    }
    return [
        ("party", "joined", {k: {"before": None, "after": v} for k, v in fields.items()}),
        ("consent", "given", {k: {"before": None, "after": v} for k, v in consent_fields.items()}),
    ]


def _locate(intake: Intake, body: ReportCreate) -> tuple[float, float, Located]:
    lat, lon = body.location.lat, body.location.lon
    if body.location.crs == "gcj02":
        lat, lon = gcj02_to_wgs84(lat, lon)
    hit = intake.locate(lat, lon)
    if hit is None:
        raise OutsideServiceArea(
            "事故地点不在本服务区域内，请拨打122报警",
            "The location is outside the service area; call 122",
            errors=[
                field(
                    "#/location",
                    "该位置不在快处服务范围内，请拨打122",
                    "This place is outside the service area: call 122",
                )
            ],
        )
    return lat, lon, hit


def _check_time(intake: Intake, occurred_at: datetime) -> datetime:
    if occurred_at.tzinfo is None:
        raise InvalidOccurredAt(
            "事故时间须包含时区，例如 +08:00",
            "occurred_at needs a UTC offset, e.g. +08:00",
            errors=[
                field("#/occurred_at", "请带上时区，如 +08:00", "Give the time zone, e.g. +08:00")
            ],
        )
    now = intake.now()
    if occurred_at > now + CLOCK_SKEW or occurred_at < now - MAX_AGE:
        raise InvalidOccurredAt(
            "事故时间须在最近72小时内，且不能晚于现在",
            "occurred_at must be within the last 72 hours",
            errors=[
                field(
                    "#/occurred_at",
                    "事故时间应在最近72小时内",
                    "The accident must be within the last 72 hours",
                )
            ],
        )
    return occurred_at.astimezone(UTC)


async def create_report(
    intake: Intake, *, who: PhonePrincipal, body: ReportCreate, idem: Idempotency | None
) -> tuple[int, bytes]:
    """Party A opens a report (refused with the 122 instruction if ineligible; nothing stored then)."""
    verdict = verdict_for(body.case_answers, body.party, "A")
    if not verdict.eligible:
        raise NotEligible(
            verdict.reasons[0].zh, verdict.reasons[0].en, eligibility=eligibility_out(verdict)
        )
    check_consent(body.consent)
    occurred_at = _check_time(intake, body.occurred_at)
    lat, lon, zone = _locate(intake, body)
    k = intake.keyring
    now = intake.now()
    report_id, party_id = uuid.uuid4(), uuid.uuid4()
    token = new_token(PARTY_PREFIX)
    share = new_share_code() if body.vehicle_count > 1 else None
    share_expires = now + timedelta(seconds=intake.policy.share_code_ttl_s)
    check_phone(k, who, body.party)
    party = new_party(
        k, body.party, party_id=party_id, report_id=report_id, label="A", phone_hash=who.phone_hash
    )
    report_row = {
        "id": report_id,
        "status": Status.DRAFT.value,
        "occurred_at": occurred_at,
        "lat": lat,
        "lon": lon,
        "address": body.address,
        "zone_id": zone.zone_id,
        "zone_name": zone.zone_name,
        "zone_kind": zone.kind,
        "near_boundary": zone.near_boundary,
        "weather": body.weather,
        "vehicle_count": body.vehicle_count,
        "referral": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    party_row = {
        **dataclasses.asdict(party),
        "joined_at": now,
        "plain": {
            "name": body.party.driver.name,
            "id_number": body.party.driver.id_number,
            "phone": body.party.driver.phone,
            "policy_number": body.party.insurance.policy_number,
        },
    }
    view = render_report(report_row, [party_row], [], viewer=Viewer(party_id=party_id), keyring=k)
    answer, sealed = sealed_answer(
        k,
        {
            "report": view,
            "party_id": str(party_id),
            "label": "A",
            "party_token": token,
            "share_code": {"code": share, "expires_at": share_expires} if share else None,
        },
    )
    audit = [
        (
            "report",
            str(report_id),
            "created",
            {
                "status": {"before": None, "after": "draft"},
                "zone_id": {"before": None, "after": zone.zone_id},
                "vehicle_count": {"before": None, "after": body.vehicle_count},
                "near_boundary": {"before": None, "after": zone.near_boundary},
            },
        )
    ]
    audit += [
        (entity, str(party_id), action, ch)
        for entity, action, ch in party_audit("A", body.party, body.consent)
    ]
    if share:
        audit.append(
            (
                "share_code",
                str(report_id),
                "issued",
                {"expires_at": {"before": None, "after": share_expires.isoformat()}},
            )
        )
    invite = (
        _invitation(intake, report_id, body.invite_phone, share, share_expires)
        if body.invite_phone and share
        else None
    )
    if invite:
        audit.append(
            ("message", str(invite[0]), "queued", {"topic": {"before": None, "after": "sms"}})
        )
    reports, invitations = creation_limits(intake.policy, who.phone_hash)
    on = intake.policy.rate_limits
    row = await repo.create_report(
        intake.creations,
        repo.NewReport(
            idem_scope=idem.scope if idem else None,
            idem_key=idem.key if idem else None,
            idem_request_hash=idem.request_hash if idem else None,
            idem_response={"enc": sealed},
            report_id=report_id,
            status=Status.DRAFT.value,
            occurred_at=occurred_at,
            lat=lat,
            lon=lon,
            address_enc=k.encrypt_or_none(body.address),
            zone_id=zone.zone_id,
            near_boundary=zone.near_boundary,
            weather=body.weather,
            vehicle_count=body.vehicle_count,
            case_answers=body.case_answers.model_dump(),
            at=now,
            token_hash=k.token_hash(token),
            party=party,
            consent=new_consent(body.consent),
            share_code_hash=k.token_hash(share) if share else None,
            share_expires_at=share_expires,
            audit_entities=[a[0] for a in audit],
            audit_entity_ids=[a[1] for a in audit],
            audit_actions=[a[2] for a in audit],
            audit_changes=[a[3] for a in audit],
            message_id=invite[0] if invite else None,
            message_dedupe_key=invite[1] if invite else None,
            message_payload=invite[2] if invite else None,
            report_limit=ratelimit.spec(reports) if on else None,
            invitation_limit=ratelimit.spec(invitations) if on and invite else None,
        ),
    )
    if row["created"]:
        return 201, answer
    async with intake.pool.acquire() as conn:
        # Nothing was created: a hit taken on the way (a refused report's invitation, or a race of two retries
        # with one key) is given back.
        await ratelimit.give_back(conn, row["report_hit_at"], reports.bucket)
        await ratelimit.give_back(conn, row["invitation_hit_at"], invitations.bucket)
        if row["limited"]:
            raise await ratelimit.refusal(conn, *((reports, invitations) if invite else (reports,)))
        assert idem is not None
        async with conn.transaction():
            stored = await idempotency.claim(
                conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
            )
    assert stored is not None
    return stored.status, unseal_answer(k, stored.body)


def sealed_answer(keyring: Keyring, response: dict[str, Any]) -> tuple[bytes, str]:
    """The answer's JSON once: sent as is, and stored encrypted for a retry (it holds bearer tokens and share
    codes, so it is kept like personal data)."""
    answer = jsonenc.dumps(response)
    return answer, keyring.seal(answer).decode("ascii")


def unseal_answer(keyring: Keyring, stored: Any) -> bytes:
    """The JSON bytes of a stored answer, as first sent."""
    return keyring.unseal(stored["enc"])


def _invitation(
    intake: Intake, report_id: UUID, phone: str, share: str, expires: datetime
) -> tuple[UUID, str, dict[str, Any]]:
    k = intake.keyring
    # The configured public base URL only (never the request's Host or X-Forwarded-* headers): an official
    # SMS must not carry a link a client chose.
    link = f"{intake.policy.public_base_url.rstrip('/')}/join?code={share}"
    until = written(expires)
    text = (
        f"【快处】对方驾驶人邀请您处理一起轻微交通事故，请在{until.zh}前打开 {link} 或输入分享码 {share} 加入。"
        f" Kuaichu: join the accident report at {link} (code {share}) by {until.en}."
    )
    payload = {
        "to_enc": base64.b64encode(k.encrypt(phone)).decode(),
        "text_enc": base64.b64encode(k.encrypt(text)).decode(),
        "purpose": "invitation",
    }
    return uuid.uuid4(), f"sms:invite:{report_id}:{k.phone_hash(phone).hex()[:16]}", payload


async def access(conn: asyncpg.Connection, who: Principal, report_id: UUID) -> Viewer:
    """Who may see this report: its parties (by token or phone), police of its jurisdiction and admins.
    Others: 404."""
    if isinstance(who, PartyPrincipal) and who.report_id == report_id:
        return Viewer(party_id=who.party_id)
    if isinstance(who, PhonePrincipal):
        party_id = await repo.party_of_phone(conn, report_id=report_id, phone_hash=who.phone_hash)
        # A second party on another's phone reaches only the reports that phone is party to as well.
        if party_id is not None and (
            who.host_phone_hash is None
            or await repo.party_of_phone(conn, report_id=report_id, phone_hash=who.host_phone_hash)
            is not None
        ):
            return Viewer(party_id=party_id)
    if isinstance(who, StaffPrincipal) and who.role in ("police", "admin"):
        # Admins reach every report; police the reports of their jurisdiction. Anything else reads as absent.
        if not await repo.staff_reaches(
            conn, staff_id=who.staff_id, role=who.role, report_id=report_id
        ):
            raise ReportNotFound()
        return Viewer(staff_role=who.role)
    raise ReportNotFound()


async def read_report(intake: Intake, *, who: Principal, report_id: UUID) -> dict[str, Any]:
    async with intake.pool.acquire() as conn:
        viewer = await access(conn, who, report_id)
        row = await repo.report(conn, report_id=report_id)
        if row is None:
            raise ReportNotFound()
        parties = await repo.parties(conn, report_id=report_id)
        photos = await repo.photos(conn, report_id=report_id)
    return render_report(
        dict(row),
        [dict(p) for p in parties],
        [dict(p) for p in photos],
        viewer=viewer,
        keyring=intake.keyring,
    )
