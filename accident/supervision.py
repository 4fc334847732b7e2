"""Supervision aggregates per county for a chosen period: cases, deadline (SLA) breaches, time from report to
agreement, disputes, court deliveries and complaints about assessors and insurers. Read-only.

Everything is counted over one cohort: the reports created (submitted past the draft stage or not yet, drafts
excluded) in the period's Beijing days, by the county (zone) they lie in. So a county's row always speaks of the
same reports: of those, how many breached a deadline, how long the agreed ones took, how many were disputed or
reached the court, how many drew a complaint about their assessor or insurer.

Deadlines counted as breached:
- police review: a review of the report open past KUAICHU_POLICE_REVIEW_SLA_S, or closed after it;
- assessment: a task escalated at least once (a missed offer or ETA, see geo.assessment_service);
- inquiries: an inquiry or complaint unanswered past its due time, or answered after it.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg

from kernel.local_time import BEIJING

# Time from report to agreement, in minutes: [lower, upper) buckets people read at a glance.
AGREEMENT_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("lt_15m", 0, 15),
    ("15_30m", 15, 30),
    ("30_60m", 30, 60),
    ("1_2h", 60, 120),
    ("2_6h", 120, 360),
    ("6_24h", 360, 1440),
    ("ge_24h", 1440, None),
)
COUNTS = (
    "cases",
    "sla_breaches",
    "review_breaches",
    "assessment_breaches",
    "inquiry_breaches",
    "agreed",
    "disputes",
    "court_deliveries",
    "complaints_assessor",
    "complaints_insurer",
)

_SQL = """
WITH scope AS (
    SELECT z.id, z.name, z.kind FROM zones z WHERE $1::text[] IS NULL OR z.id = ANY($1::text[])
), cohort AS (
    SELECT r.id, r.zone_id, r.created_at FROM reports r JOIN scope s ON s.id = r.zone_id
    WHERE r.created_at >= $2::timestamptz AND r.created_at < $3::timestamptz AND r.status <> 'draft'
), reviews AS (
    SELECT c.zone_id, count(DISTINCT c.id) AS n FROM cohort c JOIN fault_reviews v ON v.report_id = c.id
    WHERE coalesce(v.closed_at, now()) >= v.opened_at + make_interval(secs => $4::float8) GROUP BY 1
), tasks AS (
    SELECT c.zone_id, count(DISTINCT c.id) AS n FROM cohort c JOIN assessment_tasks t ON t.report_id = c.id
    WHERE t.escalations > 0 GROUP BY 1
), late_answers AS (
    SELECT c.zone_id, count(DISTINCT c.id) AS n FROM cohort c JOIN inquiries i ON i.report_id = c.id
    WHERE coalesce(i.answered_at, now()) >= i.due_at GROUP BY 1
), breaches AS (
    SELECT c.zone_id, count(*) AS n FROM cohort c
    WHERE EXISTS (SELECT 1 FROM fault_reviews v WHERE v.report_id = c.id
                    AND coalesce(v.closed_at, now()) >= v.opened_at + make_interval(secs => $4::float8))
       OR EXISTS (SELECT 1 FROM assessment_tasks t WHERE t.report_id = c.id AND t.escalations > 0)
       OR EXISTS (SELECT 1 FROM inquiries i WHERE i.report_id = c.id AND coalesce(i.answered_at, now()) >= i.due_at)
    GROUP BY 1
), disputes AS (
    SELECT c.zone_id, count(*) AS n FROM cohort c
    WHERE EXISTS (SELECT 1 FROM fault_responses f WHERE f.report_id = c.id AND f.response = 'dispute')
       OR EXISTS (SELECT 1 FROM determination_responses d WHERE d.report_id = c.id AND d.response = 'dispute')
    GROUP BY 1
), court AS (
    SELECT c.zone_id, count(DISTINCT c.id) AS n FROM cohort c JOIN court_packages p ON p.report_id = c.id
    WHERE p.state = 'delivered' GROUP BY 1
), complaints AS (
    SELECT c.zone_id, count(*) FILTER (WHERE i.subject = 'assessor') AS assessor,
           count(*) FILTER (WHERE i.subject = 'insurer') AS insurer
    FROM cohort c JOIN inquiries i ON i.report_id = c.id
    WHERE i.kind = 'complaint' AND i.about_case GROUP BY 1
), agreed AS (
    SELECT c.zone_id, array_agg(extract(epoch FROM a.created_at - c.created_at)::float8 / 60 ORDER BY 1) AS minutes
    FROM cohort c JOIN fault_agreements a ON a.report_id = c.id GROUP BY 1
)
SELECT s.id AS zone_id, s.name AS zone_name, s.kind,
       coalesce((SELECT count(*) FROM cohort c WHERE c.zone_id = s.id), 0) AS cases,
       coalesce(b.n, 0) AS sla_breaches, coalesce(rv.n, 0) AS review_breaches,
       coalesce(t.n, 0) AS assessment_breaches, coalesce(la.n, 0) AS inquiry_breaches,
       coalesce(d.n, 0) AS disputes, coalesce(ct.n, 0) AS court_deliveries,
       coalesce(cp.assessor, 0) AS complaints_assessor, coalesce(cp.insurer, 0) AS complaints_insurer,
       coalesce(ag.minutes, '{}') AS minutes
FROM scope s
LEFT JOIN breaches b ON b.zone_id = s.id LEFT JOIN reviews rv ON rv.zone_id = s.id
LEFT JOIN tasks t ON t.zone_id = s.id LEFT JOIN late_answers la ON la.zone_id = s.id
LEFT JOIN disputes d ON d.zone_id = s.id LEFT JOIN court ct ON ct.zone_id = s.id
LEFT JOIN complaints cp ON cp.zone_id = s.id LEFT JOIN agreed ag ON ag.zone_id = s.id
ORDER BY s.id
"""


def period_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """[00:00 of `since`, 24:00 of `until`) in Beijing time."""
    return datetime.combine(since, time(0), BEIJING), datetime.combine(
        until + timedelta(days=1), time(0), BEIJING
    )


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least q of the values at or below it)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 1))  # ceil(n*q), at least 1
    return round(sorted_values[int(rank) - 1], 1)


def distribution(minutes: list[float]) -> dict[str, Any]:
    values = sorted(minutes)
    buckets = {
        name: sum(1 for v in values if v >= lo and (hi is None or v < hi))
        for name, lo, hi in AGREEMENT_BUCKETS
    }
    return {
        "count": len(values),
        "p50_min": percentile(values, 0.5),
        "p90_min": percentile(values, 0.9),
        "max_min": round(values[-1], 1) if values else None,
        "buckets": buckets,
    }


async def by_county(
    conn: asyncpg.Connection,
    *,
    zones: list[str] | None,
    since: date,
    until: date,
    review_sla_s: float,
) -> dict[str, Any]:
    """Every county in scope (None: all), zero rows included so a map colours each one, and the totals."""
    start, end = period_bounds(since, until)
    rows = await conn.fetch(_SQL, zones, start, end, review_sla_s)
    counties = []
    for r in rows:
        minutes = list(r["minutes"])
        counties.append(
            {
                "zone_id": r["zone_id"],
                "zone_name": r["zone_name"],
                "kind": r["kind"],
                **{k: r[k] for k in COUNTS if k != "agreed"},
                "agreed": len(minutes),
                "agreement_time": distribution(minutes),
                "_minutes": minutes,
            }
        )
    totals: dict[str, Any] = {k: sum(c[k] for c in counties) for k in COUNTS}
    totals["agreement_time"] = distribution([m for c in counties for m in c["_minutes"]])
    for c in counties:
        del c["_minutes"]
    return {
        "period": {"since": since, "until": until, "timezone": "Asia/Shanghai"},
        "scope": "all" if zones is None else "jurisdiction",
        "counties": counties,
        "totals": totals,
    }


CSV_COLUMNS = (
    "zone_id",
    "zone_name",
    "kind",
    *COUNTS,
    "agreement_p50_min",
    "agreement_p90_min",
    *(f"agreement_{name}" for name, _, _ in AGREEMENT_BUCKETS),
)


def _csv_row(row: dict[str, Any]) -> list[Any]:
    dist = row["agreement_time"]
    return [
        row.get("zone_id", ""),
        row.get("zone_name", ""),
        row.get("kind", ""),
        *(row[k] for k in COUNTS),
        "" if dist["p50_min"] is None else dist["p50_min"],
        "" if dist["p90_min"] is None else dist["p90_min"],
        *(dist["buckets"][name] for name, _, _ in AGREEMENT_BUCKETS),
    ]


def as_csv(data: dict[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads Chinese names right), one row per county and a total row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for c in data["counties"]:
        w.writerow(_csv_row(c))
    w.writerow(_csv_row({**data["totals"], "zone_id": "total", "zone_name": "合计", "kind": ""}))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
