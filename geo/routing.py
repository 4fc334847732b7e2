"""Who assesses the damage (定损) of one vehicle: a pure decision from the zone hit and the candidates.

Rules (issue 5; seed 三(二)三 警保联动, 农村事故协理员):
1. Urban zone: the vehicle's own compulsory (交强险) insurer's nearest adjuster that is active and has free
   capacity (open tasks < capacity). Other insurers' adjusters are never chosen.
2. Rural zone: the nearest active coordinator with free capacity who serves that zone (the insurer is told,
   and gets the on-scene record); no adjuster fallback, so rural work stays with the coordinators.
3. Distance is great-circle (haversine on the mean sphere, geo.coords), rounded to the millimetre; equal
   distances go to the smallest id, so the same inputs always give the same assignee.
4. The zone is the one geo.zones routes the point to (its near-boundary rule decides); a point within the
   tolerance of a boundary, or outside every zone but near one, is flagged and shown to operators.
5. Nobody eligible → queued. Assessors who declined or missed a timer on this task are excluded.
`ranked` lists the nearest few eligible in order: the next one is tried when a concurrent offer took the
last free slot of the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from geo.coords import EARTH_RADIUS_M
from geo.zones import ZoneHit

Kind = Literal["adjuster", "coordinator"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An adjuster (insurer_code) or a coordinator (zones), with its home point and its load."""

    id: str
    kind: Kind
    lat: float
    lon: float
    capacity: int
    open_tasks: int = 0
    active: bool = True
    insurer_code: str | None = None
    zones: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str
    distance_m: float


@dataclass(frozen=True, slots=True)
class Decision:
    """The assessor kind wanted, the eligible candidates nearest first (empty: queue), and the flags."""

    zone_id: str
    zone_kind: str
    kind: Kind
    ranked: tuple[Ranked, ...]
    flags: tuple[str, ...]
    boundary_distance_m: float | None

    @property
    def queued(self) -> bool:
        return not self.ranked


def flags_of(hit: ZoneHit) -> tuple[str, ...]:
    """near_boundary for rules 2–4 of geo.zones; outside_zone when the point lies in no zone (rule 4)."""
    return (("near_boundary",) if hit.near_boundary else ()) + (
        () if hit.inside else ("outside_zone",)
    )


class _Group:
    """The candidates sharing one routing key, as arrays sorted by id (the tie-break)."""

    def __init__(self, members: list[Candidate]) -> None:
        members = sorted(members, key=lambda c: c.id)
        self.ids = [c.id for c in members]
        self.lat = np.radians([c.lat for c in members])
        self.lon = np.radians([c.lon for c in members])
        self.cos_lat = np.cos(self.lat)
        self.free = np.array([c.active and c.open_tasks < c.capacity for c in members], dtype=bool)
        self.position = {c.id: i for i, c in enumerate(members)}

    def nearest(
        self, lat: float, lon: float, *, excluded: Iterable[str], limit: int
    ) -> tuple[Ranked, ...]:
        mask = self.free.copy()
        for cid in excluded:
            i = self.position.get(cid)
            if i is not None:
                mask[i] = False
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return ()
        p, q = np.radians(lat), np.radians(lon)
        h = (
            np.sin((self.lat[idx] - p) / 2) ** 2
            + np.cos(p) * self.cos_lat[idx] * np.sin((self.lon[idx] - q) / 2) ** 2
        )
        d = np.round(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))), 3)
        if idx.size > limit:
            keep = np.argpartition(d, limit - 1)[:limit]
            cut = d[keep].max()
            keep = np.flatnonzero(
                d <= cut
            )  # everything tied with the last kept one, so ids can break ties
            idx, d = idx[keep], d[keep]
        order = np.lexsort((idx, d))[:limit]  # idx is the rank by id: smaller id wins a tie
        return tuple(Ranked(self.ids[int(idx[o])], float(d[o])) for o in order)


class CandidateIndex:
    """Candidates indexed by routing key (adjusters by insurer, coordinators by each zone served).

    The key narrows a province's thousands to one insurer's or one county's few hundred at most; a
    vectorised haversine over that group beats a tree walk at this size and keeps the rule exact.
    """

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        groups: dict[tuple[str, str], list[Candidate]] = {}
        for c in candidates:
            if c.kind == "adjuster" and c.insurer_code:
                groups.setdefault(("adjuster", c.insurer_code), []).append(c)
            elif c.kind == "coordinator":
                for z in c.zones:
                    groups.setdefault(("coordinator", z), []).append(c)
        self._groups: Mapping[tuple[str, str], _Group] = {k: _Group(v) for k, v in groups.items()}

    def decide(
        self,
        *,
        hit: ZoneHit,
        insurer_code: str,
        lat: float,
        lon: float,
        excluded: Iterable[str] = (),
        limit: int = 5,
    ) -> Decision:
        """Apply the module's rules to one vehicle at (lat, lon), WGS-84, whose zone is `hit`."""
        kind: Kind = "adjuster" if hit.kind == "urban" else "coordinator"
        group = self._groups.get((kind, insurer_code if kind == "adjuster" else hit.zone_id))
        ranked = group.nearest(lat, lon, excluded=excluded, limit=limit) if group else ()
        return Decision(hit.zone_id, hit.kind, kind, ranked, flags_of(hit), hit.boundary_distance_m)


def decide(
    *,
    hit: ZoneHit,
    insurer_code: str,
    lat: float,
    lon: float,
    candidates: Iterable[Candidate],
    excluded: Iterable[str] = (),
    limit: int = 5,
) -> Decision:
    """One decision over a candidate list (what the service fetched for this vehicle)."""
    index = CandidateIndex(candidates)
    return index.decide(
        hit=hit, insurer_code=insurer_code, lat=lat, lon=lon, excluded=excluded, limit=limit
    )
