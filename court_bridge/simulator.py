"""A reference court platform for local runs and demos: the decisions of `kuaichu court-sim`, free of any web
server (the composition root serves them).

It verifies Standard Webhooks signatures with the outbound court secret, validates packages against the schema
and their integrity digest, deduplicates by Idempotency-Key (a repeat gets 200 and the same case number),
answers 409 to a gap in update sequences, can inject faults, and signs its callbacks with the inbound secret.
Its callbacks follow the service's rules: the case number it gave, sequences 1, 2, … per case, stages forward.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pydantic
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from court_bridge.package import verify
from kernel.local_time import BEIJING
from schemas.court import CaseUpdate, DisputePackage

Fault = Literal["error", "drop", "reject"] | None


@dataclass(frozen=True, slots=True)
class Faults:
    error_rate: float = 0.0  # answered 503 before anything is processed
    drop_rate: float = 0.0  # processed, then the connection dropped before the answer
    reject_rate: float = 0.0  # new cases refused with 422 (to exercise operator corrections)
    latency_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    callbacks: tuple[dict[str, Any], ...] = ()


CLAIM_STATUSES = frozenset(
    {
        "opened",
        "documents_requested",
        "documents_complete",
        "decided",
        "payout_agreed",
        "paid",
        "closed",
        "withdrawn",
        "disputed",
    }
)


def claim_status_problem(update: CaseUpdate) -> str | None:
    """A claim_status update names a known status; a claimant's disagreement ("disputed") gives its reason."""
    if update.type != "claim_status":
        return None
    status = update.data.get("status")
    if status not in CLAIM_STATUSES:
        return f"unknown claim status {status!r}"
    if status == "disputed" and not str(update.data.get("reason") or "").strip():
        return "a disputed claim_status update carries the claimant's reason"
    return None


def problem(status: int, title: str, detail: str, **extra: Any) -> Reply:
    return Reply(
        status, {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    )


@dataclass
class Case:
    case_number: str
    revision: int
    last_sequence: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    callback_sequence: int = 0  # the last sequence of the court's own callbacks for this case

    def next_callback(self) -> int:
        """Callbacks of one case are numbered 1, 2, … with no gaps, across revisions."""
        self.callback_sequence += 1
        return self.callback_sequence


class CourtSimulator:
    """The court side's state: cases by package id and every answer by Idempotency-Key."""

    def __init__(
        self,
        *,
        outbound_secret: str,
        inbound_secret: str,
        faults: Faults = Faults(),
        seed: int | None = None,
        callback_url: str | None = None,
    ) -> None:
        self.callback_url = callback_url  # the service's base URL; None: no callbacks
        self.verifier = Webhook(outbound_secret)
        self.signer = Webhook(inbound_secret)
        self.faults = faults
        self.rng = random.Random(seed)
        self.cases: dict[str, Case] = {}
        self.answers: dict[str, Reply] = {}
        self.numbers = itertools.count(1)

    def fault(self, *, new_case: bool = False) -> Fault:
        """Which fault (if any) this request gets, drawn from the configured rates."""
        roll = self.rng.random()
        if roll < self.faults.error_rate:
            return "error"
        if roll < self.faults.error_rate + self.faults.drop_rate:
            return "drop"
        if new_case and self.rng.random() < self.faults.reject_rate:
            return "reject"
        return None

    def _verify(self, headers: dict[str, str], raw: bytes) -> str | Reply:
        h = {k.lower(): v for k, v in headers.items()}
        try:
            self.verifier.verify(raw, h, json_parse=False)
        except (WebhookVerificationError, ValueError):
            return problem(
                401, "Unauthorized", "bad signature or timestamp more than 5 minutes off"
            )
        key = h.get("idempotency-key", "")
        if key != h.get("webhook-id"):
            return problem(400, "Bad Request", "Idempotency-Key must equal webhook-id")
        return key

    def receive_case(self, *, headers: dict[str, str], raw: bytes, reject: bool = False) -> Reply:
        key = self._verify(headers, raw)
        if isinstance(key, Reply):
            return key
        if key in self.answers:
            return Reply(200, self.answers[key].body)
        try:
            package = DisputePackage.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            errors = [
                {"pointer": "#/" + "/".join(map(str, e["loc"])), "detail": e["msg"]}
                for e in exc.errors()
            ]
            return problem(
                422,
                "Unprocessable package",
                "the package does not match schema version 1",
                errors=errors[:20],
            )
        if key != f"{package.package_id}.{package.revision}":
            return problem(400, "Bad Request", "Idempotency-Key must be <package_id>.<revision>")
        if not verify(json.loads(raw)):
            return problem(
                422, "Integrity check failed", "integrity.digest does not match the package"
            )
        if reject:
            return problem(
                422, "材料不全 / Incomplete package", "当事人地址不详 (simulated refusal)"
            )
        case = self.cases.get(package.package_id)
        new = case is None
        if case is None:
            year = datetime.now(UTC).year
            case = Case(
                f"（{year}）浙{package.accident.place.zone_id[-4:]}民诉前调{next(self.numbers)}号",
                package.revision,
            )
            self.cases[package.package_id] = case
        case.revision = package.revision
        # A corrected revision of a case the court already has moves it no further: no callbacks of its own.
        reply = Reply(
            201,
            {"case_number": case.case_number},
            callbacks=self._callbacks(package.package_id, case) if new else (),
        )
        self.answers[key] = reply
        return reply

    def receive_update(self, *, package_id: str, headers: dict[str, str], raw: bytes) -> Reply:
        key = self._verify(headers, raw)
        if isinstance(key, Reply):
            return key
        if key in self.answers:
            return Reply(200, self.answers[key].body)
        case = self.cases.get(package_id)
        if case is None:
            return problem(404, "Not Found", f"no case for package {package_id}")
        try:
            update = CaseUpdate.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            return problem(422, "Unprocessable update", str(exc.errors()[0]["msg"]))
        if key != f"{package_id}.u{update.sequence}":
            return problem(400, "Bad Request", "Idempotency-Key must be <package_id>.u<sequence>")
        bad = claim_status_problem(update)
        if bad:
            return problem(422, "Unprocessable update", bad)
        if update.sequence != case.last_sequence + 1:
            return problem(
                409,
                "Sequence gap",
                f"expected update {case.last_sequence + 1}, got {update.sequence}",
                expected=case.last_sequence + 1,
            )
        case.last_sequence = update.sequence
        case.updates.append(update.model_dump(mode="json"))
        reply = Reply(201, {"case_number": case.case_number, "sequence": update.sequence})
        self.answers[key] = reply
        return reply

    def _callbacks(self, package_id: str, case: Case) -> tuple[dict[str, Any], ...]:
        """A new case's first callbacks, as the service wants them (PRODUCT.md "Court → us"): the case's own
        number, sequences continuing the case's last one without gaps, stages in their forward order."""
        now = datetime.now(UTC)
        base = {
            "package_id": package_id,
            "case_number": case.case_number,
            "occurred_at": now.isoformat(),
        }
        when = (
            (now + timedelta(days=7))
            .astimezone(BEIJING)
            .replace(hour=9, minute=30, second=0, microsecond=0)
        )
        return (
            {"type": "accepted", "sequence": case.next_callback(), "data": {}, **base},
            {
                "type": "mediation_scheduled",
                "sequence": case.next_callback(),
                "data": {"scheduled_at": when.isoformat(), "venue": "线上调解室"},
                **base,
            },
        )

    def signed_callback(self, event: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """Headers and body of one callback, signed with the inbound secret (a stable webhook-id per event)."""
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        msg_id = f"cb_{event['package_id']}_{event['sequence']}"
        at = datetime.now(UTC).replace(microsecond=0)
        return (
            {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": self.signer.sign(msg_id, at, body),
                "Content-Type": "application/json",
            },
            body.encode(),
        )
