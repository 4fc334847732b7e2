"""Who pays a damaged vehicle's loss: 互碰自赔, or 交强险 within limits and the rest by liability. PURE.

Sources (texts in ../shared/docs/law/): 交强险条例 §3, §21 (the insurer pays third parties' property loss
within the limit, never the insured vehicle itself), §23 (the property and no-fault property limits);
《交强险财产损失“互碰自赔”处理办法》(中国保险行业协会, 2009); 最高人民法院《关于审理道路交通事故损害赔偿案件
适用法律若干问题的解释》(2020) §16 (an uninsured vehicle's owner pays within the 交强险 limit), §18 (several
vehicles' insurers: each its limit, or in proportion to the limits; 第三款 the insured ones first on request),
§19 (several victims share by their losses); 道路交通安全法 §76 第一款第一项 (the rest by fault). Commercial
insurance (商业三者险) is outside kuaichu: what 交强险 leaves falls to the parties.

With several vehicles the 交强险 layer is computed in four steps, amounts in fen (PRODUCT.md "Claims under
交强险"): (1) each victim alone on its payers' full limits, (2) each payer alone within its limit,
(3) shortfalls re-spread over payers with limit left, (4) the rest to the parties by liability shares.
Every split hands leftover fen out one at a time by the largest exact remainder, ties to the earlier label.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from claims.limits import LIMITS, PropertyLimits, limits_on
from claims.model import Cover, Fen, Loss, Mode, PartyCover, Payment, Source

MUTUAL_BASIS = "《交强险财产损失“互碰自赔”处理办法》(2009)"
LIMIT_BASIS = "交强险条例 §21, §23"
SEVERAL_BASIS = "最高法交通事故解释(2020) §18, §19"
UNINSURED_BASIS = "最高法交通事故解释(2020) §16, §18 第三款"
NO_FAULT_BASIS = "行业规则：无责方之间不互相赔付 (industry rule, not statute)"
REMAINDER_BASIS = "道路交通安全法 §76 第一款第一项"
NO_LIABILITY_BASIS = "各方均无责任：交强险分摊待人工决定 (no party is liable: decided by a person)"

Pair = tuple[str, str]  # (payer, victim)


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Integer parts of `total` proportional to `weights` that add up exactly (largest remainder, ties to the
    first: callers list parties in label order)."""
    wsum = sum(weights)
    if wsum <= 0 or total <= 0:
        return [0] * len(weights)
    parts = [total * w // wsum for w in weights]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % wsum), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def capped_split(total: int, weights: Sequence[int], caps: Sequence[int]) -> list[int]:
    """`total` in proportion to `weights`, nobody above its cap: who would exceed gets its cap and the rest
    is shared again among the others (SPC §19 with step 1's amounts as caps)."""
    parts = [0] * len(weights)
    open_ = [i for i in range(len(weights)) if caps[i] > 0 and weights[i] > 0]
    left = min(total, sum(caps[i] for i in open_))
    while left > 0 and open_:
        shares = split(left, [weights[i] for i in open_])
        over = [i for i, s in zip(open_, shares, strict=True) if parts[i] + s >= caps[i]]
        if not over:
            for i, s in zip(open_, shares, strict=True):
                parts[i] += s
            break
        for i in over:
            left -= caps[i] - parts[i]
            parts[i] = caps[i]
        open_ = [i for i in open_ if i not in over]
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


def payers_of(victim: PartyCover, parties: Sequence[PartyCover]) -> list[PartyCover]:
    """The other vehicles, less a no-fault vehicle towards a no-fault victim (industry rule, not statute)."""
    return [
        k
        for k in parties
        if k.label != victim.label and (k.share_percent > 0 or victim.share_percent > 0)
    ]


def _on_limits(loss: int, payers: Sequence[PartyCover], limit: dict[str, int]) -> dict[str, int]:
    """SPC §18 第一款: a loss at least the sum of the limits gets each limit; a smaller one is split in
    proportion to the payers' full limits."""
    limits = [limit[k.label] for k in payers]
    parts = limits if loss >= sum(limits) else split(loss, limits)
    return {k.label: a for k, a in zip(payers, parts, strict=True)}


def step1_each_victim(
    parties: Sequence[PartyCover],
    loss: dict[str, int],
    limit: dict[str, int],
    insured_first: set[str],
) -> dict[Pair, int]:
    """Each victim alone, on its payers' full limits (SPC §18); at the victim's request the insured payers
    first, the uninsured ones (owing as parties, SPC §16) for what is left (SPC §18 第三款)."""
    owed: dict[Pair, int] = {}
    for v in parties:
        amount, payers = loss.get(v.label, 0), payers_of(v, parties)
        if amount <= 0 or not payers:
            continue
        insured = [k for k in payers if k.has_compulsory]
        if v.label in insured_first and len(insured) < len(payers):
            first = _on_limits(amount, insured, limit)
            rest = amount - sum(first.values())
            by_payer = first | _on_limits(rest, [k for k in payers if not k.has_compulsory], limit)
        else:
            by_payer = _on_limits(amount, payers, limit)
        owed.update({(k, v.label): a for k, a in by_payer.items()})
    return owed


def step2_each_payer(
    parties: Sequence[PartyCover],
    owed: dict[Pair, int],
    loss: dict[str, int],
    limit: dict[str, int],
) -> dict[Pair, int]:
    """Each payer alone (SPC §19): owing its victims more than its limit, it shares the limit among them by
    their losses, nobody getting more than step 1 gave it."""
    placed = dict(owed)
    for k in parties:
        mine = [v.label for v in parties if (k.label, v.label) in owed]
        if sum(owed[(k.label, v)] for v in mine) <= limit[k.label]:
            continue
        parts = capped_split(
            limit[k.label], [loss[v] for v in mine], [owed[(k.label, v)] for v in mine]
        )
        placed.update({(k.label, v): a for v, a in zip(mine, parts, strict=True)})
    return placed


def step3_respread(
    parties: Sequence[PartyCover],
    owed: dict[Pair, int],
    placed: dict[Pair, int],
    limit: dict[str, int],
) -> dict[Pair, int]:
    """A victim left short by step 2 has the shortfall spread over its other payers with limit left, in
    proportion to what they have left and capped by it; repeated until nothing more can be placed."""
    placed = dict(placed)

    def left(k: str) -> int:
        return limit[k] - sum(a for (payer, _), a in placed.items() if payer == k)

    moved = True
    while moved:
        moved = False
        for v in parties:
            short = sum(a for (_, victim), a in owed.items() if victim == v.label) - sum(
                a for (_, victim), a in placed.items() if victim == v.label
            )
            payers = [
                k.label
                for k in payers_of(v, parties)
                if (k.label, v.label) in owed and left(k.label) > 0
            ]
            if short <= 0 or not payers:
                continue
            room = [left(k) for k in payers]
            for k, a in zip(
                payers, room if short >= sum(room) else split(short, room), strict=True
            ):
                if a > 0:
                    placed[(k, v.label)] += a
                    moved = True
    return placed


def step4_by_liability(
    parties: Sequence[PartyCover], victim: PartyCover, rest: int
) -> list[Payment]:
    """What 交强险 leaves falls to the parties by their liability shares (道交法 §76 第一款第一项)."""
    parts = split(rest, [p.share_percent for p in parties])
    pays = []
    for k, a in zip(parties, parts, strict=True):
        if a > 0:
            source = Source.SELF_BORNE if k is victim else Source.PARTY
            pays.append(Payment(victim.label, k.label, None, source, Fen(a)))
    return pays


def decide_cover(
    *,
    parties: Sequence[PartyCover],
    losses: Sequence[Loss],
    accident_day: date,
    table: tuple[PropertyLimits, ...] = LIMITS,
) -> Cover:
    """Decide every payment for the assessed losses of one accident."""
    check_parties(parties)
    parties = sorted(parties, key=lambda p: p.label)
    limits = limits_on(accident_day, table)
    by_label = {p.label: p for p in parties}
    unknown = [loss.label for loss in losses if loss.label not in by_label]
    if unknown or any(loss.amount_fen < 0 for loss in losses):
        raise ValueError(f"losses must be non-negative and belong to a party: {unknown}")
    assessed = {loss.label: loss for loss in losses}
    amount = {label: int(loss.amount_fen) for label, loss in assessed.items()}

    if len(parties) == 1:
        # 交强险条例 §3, §21: the insured vehicle and the insured are not third parties.
        pays = [
            Payment(label, label, None, Source.SELF_BORNE, Fen(a))
            for label, a in amount.items()
            if a > 0
        ]
        return Cover(Mode.SINGLE_VEHICLE, limits.version, tuple(pays), ("交强险条例 §3, §21",))

    if all(p.share_percent == 0 for p in parties):
        return Cover(Mode.MANUAL, limits.version, (), (NO_LIABILITY_BASIS,))

    if not mutual_failures(parties=parties, losses=assessed, limits=limits):
        pays = [
            Payment(label, label, by_label[label].insurer_code, Source.OWN_INSURER, Fen(a))
            for label, a in sorted(amount.items())
            if a > 0
        ]
        return Cover(Mode.MUTUAL, limits.version, tuple(pays), (MUTUAL_BASIS,))

    limit = {k.label: int(compulsory_limit(k, limits)) for k in parties}
    insured_first = {loss.label for loss in losses if loss.insured_first}
    owed = step1_each_victim(parties, amount, limit, insured_first)
    placed = step3_respread(parties, owed, step2_each_payer(parties, owed, amount, limit), limit)

    payments: list[Payment] = []
    for v in parties:
        for k in parties:
            a = placed.get((k.label, v.label), 0)
            if a > 0:
                source = Source.COMPULSORY if k.has_compulsory else Source.COMPULSORY_UNINSURED
                payments.append(
                    Payment(
                        v.label,
                        k.label,
                        k.insurer_code if k.has_compulsory else None,
                        source,
                        Fen(a),
                    )
                )
        rest = amount.get(v.label, 0) - sum(
            a for (_, victim), a in placed.items() if victim == v.label
        )
        payments += step4_by_liability(parties, v, rest)
    basis = [LIMIT_BASIS, SEVERAL_BASIS, NO_FAULT_BASIS, REMAINDER_BASIS]
    if not all(p.has_compulsory for p in parties):
        basis.insert(2, UNINSURED_BASIS)
    return Cover(Mode.LIABILITY, limits.version, tuple(payments), tuple(basis))
