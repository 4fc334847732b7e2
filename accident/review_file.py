"""The case file a police reviewer decides on: both parties' accounts side by side, the photos with where and
when they say they were taken against what was reported, the proposal and why, the open review with its due
time, the history, and the articles a determination may cite.

Only police of the report's jurisdiction and admins reach it; anyone else gets "not found" (as for the report).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from accident import repository as repo
from accident.errors import ReportNotFound
from accident.fault_review import SHARES, review_due
from accident.fault_sets import TemplateSet
from accident.fault_view import fault_state
from accident.service import Intake, access
from accident.views import render_party, render_photo, render_report
from kernel.audit import for_report
from kernel.identity import StaffPrincipal

# 程序规定 §60: how liability is apportioned (full / major, equal, minor / none); every determination rests on it.
GENERAL_ARTICLES: tuple[tuple[str, str, str], ...] = (
    (
        "道路交通事故处理程序规定第六十条",
        "按行为作用和过错严重程度确定责任",
        "Liability follows each party's part in the accident and the gravity of its fault",
    ),
    (
        "道路交通事故处理程序规定第六十一条",
        "逃逸、故意破坏或伪造现场者承担全部责任",
        "Fleeing, or destroying or faking the scene, carries full liability",
    ),
)
EARTH_RADIUS_M = 6_371_008.8


def citable_articles(sets: Mapping[str, TemplateSet]) -> list[dict[str, Any]]:
    """Every article a determination may cite: the general rules of 程序规定 and each template row's legal
    basis, with the scenarios citing it (in the order the sets list them)."""
    out: dict[str, dict[str, Any]] = {
        art: {"article": art, "title_zh": zh, "title_en": en, "scenarios": []}
        for art, zh, en in GENERAL_ARTICLES
    }
    for ts in sets.values():
        for row in ts.rows:
            for art in row.legal_basis:
                entry = out.setdefault(
                    art, {"article": art, "title_zh": None, "title_en": None, "scenarios": []}
                )
                entry["scenarios"].append(
                    {
                        "template_set": ts.id,
                        "version": ts.version,
                        "code": row.code,
                        "title_zh": row.title_zh,
                        "title_en": row.title_en,
                    }
                )
    return list(out.values())


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good to well under a metre at accident scales."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def photo_against_report(
    ph: Mapping[str, Any], *, occurred_at: datetime, lat: float, lon: float
) -> dict[str, Any]:
    """A photo's EXIF time and place (as stored at upload) against the reported time and place: the seconds
    between them (positive: taken after the reported time) and the metres between them; None where the photo
    carries no such data."""
    seconds = (ph["taken_at"] - occurred_at).total_seconds() if ph["taken_at"] is not None else None
    metres = None
    if ph["gps_lat"] is not None and ph["gps_lon"] is not None:
        metres = round(distance_m(lat, lon, ph["gps_lat"], ph["gps_lon"]), 1)
    return {"taken_after_report_s": seconds, "distance_from_report_m": metres}


async def case_file(
    intake: Intake,
    sets: Mapping[str, TemplateSet],
    *,
    who: StaffPrincipal,
    report_id: UUID,
    review_sla_s: float,
) -> dict[str, Any]:
    async with intake.pool.acquire() as conn:
        viewer = await access(
            conn, who, report_id
        )  # police: the report's zone is in their jurisdiction
        row = await repo.report(conn, report_id=report_id)
        if row is None:
            raise ReportNotFound()
        parties = [dict(p) for p in await repo.parties(conn, report_id=report_id)]
        photos = [dict(p) for p in await repo.photos(conn, report_id=report_id)]
        fault = await fault_state(conn, report_id=report_id)
        review = await conn.fetchrow(
            """SELECT opened_at, closed_at, source, reasons FROM fault_reviews WHERE report_id = $1::uuid
               ORDER BY opened_at DESC LIMIT 1""",
            report_id,
        )
        history = await for_report(conn, report_id=report_id)
    report = render_report(dict(row), parties, photos, viewer=viewer, keyring=intake.keyring)
    accounts = {a["party"]: a for a in fault["accounts"]}
    responses = {r["party"]: r for r in fault["responses"]}
    det_answers = {r["party"]: r for r in fault["determination_responses"]}
    sides = [
        {
            "party": p["label"],
            "details": render_party(p, viewer=viewer, keyring=intake.keyring),
            "account": accounts.get(p["label"]),
            "proposal_response": responses.get(p["label"]),
            "determination_response": det_answers.get(p["label"]),
        }
        for p in parties
    ]
    base = f"/v1/reports/{report_id}/photos"
    pictures = [
        {
            **render_photo(ph),
            "links": {v: f"{base}/{ph['id']}/{v}" for v in ("original", "preview", "thumbnail")},
            "against_report": photo_against_report(
                ph, occurred_at=row["occurred_at"], lat=row["lat"], lon=row["lon"]
            ),
        }
        for ph in photos
    ]
    open_review = None
    if review is not None:
        open_review = {
            "opened_at": review["opened_at"],
            "closed_at": review["closed_at"],
            "source": review["source"],
            "reasons": review["reasons"],
            **review_due(review["opened_at"], review_sla_s, intake.now()),
        }
        if review["closed_at"] is not None:
            open_review["breached"] = review["closed_at"] >= open_review["due_at"]
    return {
        "report": report,
        "review": open_review,
        "sides": sides,
        "photos": pictures,
        "proposal": fault["proposal"],
        "fault": fault,
        "history": [
            {
                "id": h["id"],
                "entity": h["entity"],
                "entity_id": h["entity_id"],
                "action": h["action"],
                "actor_kind": h["actor_kind"],
                "actor_id": h["actor_id"],
                "at": h["at"],
                "changes": h["changes"],
            }
            for h in history
        ],
        "articles": citable_articles(sets),
        "liability_options": [{"liability": k, "share_percent": v} for k, v in SHARES.items()],
    }
