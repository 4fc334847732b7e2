"""Who pays a damaged vehicle's loss: 互碰自赔, or 交强险 within limits and the remainder by liability. PURE.

Sources: 交强险条例 §3, §21 (the insurer pays third parties' property loss within the limit, never the
insured vehicle itself), §23 (the property and no-fault property limits); 《交强险财产损失“互碰自赔”处理办法》
(中国保险行业协会, 2009); 最高人民法院《关于审理道路交通事故损害赔偿案件适用法律若干问题的解释》(2020)
§13 (交强险 first, then 商业三者险, then the liable party), §16 (an uninsured vehicle's owner pays within
the 交强险 limit), §18 (several vehicles' insurers each within their limit, in proportion to the limits),
§19 (several victims share one limit in proportion to their losses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from claims.limits import LIMITS, PropertyLimits, limits_on
from claims.model import Cover, Fen, Loss, Mode, PartyCover, Payment, Source

MUTUAL_BASIS = "《交强险财产损失“互碰自赔”处理办法》(2009)"
LIMIT_BASIS = "交强险条例 §21, §23"
REMAINDER_BASIS = "最高法交通事故解释(2020) §13"


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Integer parts of `total` proportional to `weights` that add up exactly (largest remainder, ties to the first)."""
    wsum = sum(weights)
    if wsum <= 0 or total <= 0:
        return [0] * len(weights)
    parts = [total * w // wsum for w in weights]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def check_parties(parties: Sequence[PartyCover]) -> None:
    """Labels unique; shares 0–100 adding up to 100 (or all 0: nobody at fault)."""
    labels = [p.label for p in parties]
    if not parties or len(set(labels)) != len(labels):
        raise ValueError("parties need unique labels")
    shares = [p.share_percent for p in parties]
    if any(not 0 <= s <= 100 for s in shares) or sum(shares) not in (0, 100):
        raise ValueError(f"liability shares must be 0..100 and add up to 100, got {shares}")


def mutual_failures(
    *, parties: Sequence[PartyCover], losses: dict[str, Loss], limits: PropertyLimits
) -> list[str]:
    """The 互碰自赔 conditions (2009 处理办法 §2) that do not hold; empty when it applies."""
    failed = []
    if len(parties) < 2:
        failed.append("two or more vehicles")
    if not all(p.has_compulsory for p in parties):
        failed.append("every vehicle has 交强险")
    if not all(loss.vehicle_only for loss in losses.values()):
        failed.append("damage to the vehicles only")
    if not all(p.share_percent > 0 for p in parties):
        failed.append("every party bears some liability")
    if any(loss.amount_fen > limits.mutual_ceiling_fen for loss in losses.values()):
        failed.append(f"each loss at most {limits.mutual_ceiling_fen} fen")
    if not all(p.opted_in_mutual for p in parties):
        failed.append("every party opted in")
    return failed


def compulsory_limit(payer: PartyCover, limits: PropertyLimits) -> Fen:
    """The payer's 交强险 property limit by its own liability: at-fault or no-fault (交强险条例 §23)."""
    return limits.at_fault_fen if payer.share_percent > 0 else limits.no_fault_fen


def _compulsory(
    parties: Sequence[PartyCover], loss: dict[str, int], limits: PropertyLimits
) -> dict[tuple[str, str], int]:
    """(payer, payee) → the 交强险 layer: a limit shared by its victims by loss (SPC §19), then several
    payers towards one victim in proportion to what each has left (SPC §18)."""
    avail: dict[tuple[str, str], int] = {}
    for k in parties:
        victims = [p.label for p in parties if p.label != k.label and loss.get(p.label, 0) > 0]
        total = sum(loss[v] for v in victims)
        cap = min(compulsory_limit(k, limits), total)
        for v, part in zip(victims, split(cap, [loss[v] for v in victims]), strict=True):
            avail[(k.label, v)] = part
    paid: dict[tuple[str, str], int] = {}
    for j in parties:
        payers = [k.label for k in parties if (k.label, j.label) in avail]
        offered = [avail[(k, j.label)] for k in payers]
        amounts = offered if sum(offered) <= loss.get(j.label, 0) else split(loss[j.label], offered)
        paid.update({(k, j.label): a for k, a in zip(payers, amounts, strict=True)})
    return paid


def decide_cover(
    *, parties: Sequence[PartyCover], losses: Sequence[Loss], accident_day: date,
    table: tuple[PropertyLimits, ...] = LIMITS,
) -> Cover:
    """Decide every payment for the assessed losses of one accident."""
    check_parties(parties)
    limits = limits_on(accident_day, table)
    by_label = {p.label: p for p in parties}
    unknown = [loss.label for loss in losses if loss.label not in by_label]
    if unknown or any(loss.amount_fen < 0 for loss in losses):
        raise ValueError(f"losses must be non-negative and belong to a party: {unknown}")
    assessed = {loss.label: loss for loss in losses}
    amount = {label: int(loss.amount_fen) for label, loss in assessed.items()}

    if len(parties) == 1:
        # 交强险条例 §3, §21: the insured vehicle and the insured are not third parties.
        pays = [Payment(label, label, None, Source.SELF_BORNE, Fen(a)) for label, a in amount.items() if a > 0]
        return Cover(Mode.SINGLE_VEHICLE, limits.version, tuple(pays), ("交强险条例 §3, §21",))

    if not mutual_failures(parties=parties, losses=assessed, limits=limits):
        pays = [Payment(label, label, by_label[label].insurer_code, Source.OWN_INSURER, Fen(a))
                for label, a in amount.items() if a > 0]
        return Cover(Mode.MUTUAL, limits.version, tuple(pays), (MUTUAL_BASIS,))

    comp = _compulsory(parties, amount, limits)
    payments: list[Payment] = []
    shares = [p.share_percent for p in parties]
    for j in parties:
        for k in parties:
            a = comp.get((k.label, j.label), 0)
            if a > 0:
                source = Source.COMPULSORY if k.has_compulsory else Source.COMPULSORY_UNINSURED
                payments.append(Payment(j.label, k.label, k.insurer_code if k.has_compulsory else None, source, Fen(a)))
        rest = amount.get(j.label, 0) - sum(comp.get((k.label, j.label), 0) for k in parties)
        parts = split(rest, shares) if sum(shares) else [rest if p is j else 0 for p in parties]
        for k, a in zip(parties, parts, strict=True):
            if a <= 0:
                continue
            if k is j:
                payments.append(Payment(j.label, k.label, None, Source.SELF_BORNE, Fen(a)))
            elif k.has_commercial_third_party:
                payments.append(Payment(j.label, k.label, k.insurer_code, Source.COMMERCIAL_THIRD_PARTY, Fen(a)))
            else:
                payments.append(Payment(j.label, k.label, None, Source.PARTY, Fen(a)))
    basis = (LIMIT_BASIS, REMAINDER_BASIS, "最高法交通事故解释(2020) §16, §18, §19")
    return Cover(Mode.LIABILITY, limits.version, tuple(payments), basis)
