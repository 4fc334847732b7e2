"""Read and validate a reference directory (zones.geojson, insurers.json and the optional outlets.json,
adjusters.json, coordinators.json); pure, no database."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import shapely
from pydantic import ValidationError
from shapely.geometry import shape
from shapely.validation import explain_validity

from geo.errors import MAX_PROBLEMS, ReferenceFileError
from geo.model import AdjusterIn, CoordinatorIn, InsurerIn, OutletIn, ZoneIn, ZoneProperties
from geo.reference_staff import (
    ADJUSTERS_FILE,
    COORDINATORS_FILE,
    OUTLETS_FILE,
    check_usernames,
    parse_adjusters,
    parse_coordinators,
    parse_outlets,
    validation_reason,
)
from kernel.canonical import canonical_json

ZONES_FILE = "zones.geojson"
INSURERS_FILE = "insurers.json"
_POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True, slots=True)
class ReferenceSet:
    """Everything in one reference directory, validated, with the digest of its canonical contents."""

    zones: tuple[ZoneIn, ...]
    insurers: tuple[InsurerIn, ...]
    digest: str
    outlets: tuple[OutletIn, ...] = ()
    adjusters: tuple[AdjusterIn, ...] = ()
    coordinators: tuple[CoordinatorIn, ...] = ()


def read_reference_dir(path: Path) -> ReferenceSet:
    """Validate every file before anything is written; raise ReferenceFileError on the first bad file.

    outlets.json, adjusters.json and coordinators.json are optional (absent = none in this load); when
    present they are part of the digest and may only name insurers and zones of this same directory.
    """
    docs = {
        ZONES_FILE: _read_json(path / ZONES_FILE),
        INSURERS_FILE: _read_json(path / INSURERS_FILE),
    }
    for name in (OUTLETS_FILE, ADJUSTERS_FILE, COORDINATORS_FILE):
        if (path / name).exists():
            docs[name] = _read_json(path / name)
    zones = parse_zones(docs[ZONES_FILE])
    insurers = parse_insurers(docs[INSURERS_FILE])
    codes = [i.code for i in insurers]
    outlets = parse_outlets(docs.get(OUTLETS_FILE, []), insurers=codes)
    adjusters = parse_adjusters(docs.get(ADJUSTERS_FILE, []), insurers=codes)
    coordinators = parse_coordinators(
        docs.get(COORDINATORS_FILE, []), zones={z.id: z.kind for z in zones}
    )
    check_usernames(adjusters, coordinators)
    return ReferenceSet(
        zones=zones,
        insurers=insurers,
        digest=digest_of(docs),
        outlets=outlets,
        adjusters=adjusters,
        coordinators=coordinators,
    )


def digest_of(docs: dict[str, Any]) -> str:
    """sha256 over canonical JSON (sorted keys, no spaces), so formatting changes are not a new version."""
    h = hashlib.sha256()
    for name in sorted(docs):
        h.update(name.encode() + b"\0" + canonical_json(docs[name]) + b"\0")
    return h.hexdigest()


def _read_json(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceFileError(
            file=file.name, problems=[("file", "文件不存在 / file not found")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceFileError(
            file=file.name, problems=[("file", f"cannot be read: {exc}")]
        ) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else "file"
        )
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        problem = (where, f"JSON 格式错误 / invalid JSON: {reason}")
        raise ReferenceFileError(file=file.name, problems=[problem]) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_zones(doc: Any) -> tuple[ZoneIn, ...]:
    """Validate a FeatureCollection of zones; every problem is named by feature index and id."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        _fail(
            ZONES_FILE,
            [("top level", "不是 GeoJSON FeatureCollection / not a GeoJSON FeatureCollection")],
        )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        _fail(ZONES_FILE, [("features", "缺少区域 / no features")])
    problems: list[tuple[str, str]] = []
    zones: list[ZoneIn] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        fid = props.get("id") if isinstance(props, dict) else None
        where = f"features[{i}] (id={fid!r})"
        try:
            zones.append(_zone(feature))
        except ValueError as exc:
            problems.append((where, str(exc)))
        if isinstance(fid, str):
            if fid in seen:
                problems.append(
                    (where, f"重复的区域 id / duplicate id, first at features[{seen[fid]}]")
                )
            seen.setdefault(fid, i)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        _fail(ZONES_FILE, problems)
    return tuple(zones)


def _zone(feature: Any) -> ZoneIn:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("不是 GeoJSON Feature / not a GeoJSON Feature")
    try:
        props = ZoneProperties.model_validate(feature.get("properties"))
    except ValidationError as exc:
        raise ValueError("属性有误 / bad properties: " + validation_reason(exc)) from None
    geometry = feature.get("geometry")
    check_geometry(geometry)
    return ZoneIn(
        id=props.id,
        name=props.name,
        kind=props.kind,
        jurisdiction=props.jurisdiction,
        court_exempt=props.court_exempt,
        exempt_reason=props.exempt_reason,
        properties=dict(props.model_extra or {}),
        geometry=cast(
            "dict[str, Any]", geometry
        ),  # check_geometry refused anything but a polygonal object
    )


def check_geometry(geometry: Any) -> None:
    """A valid, non-empty WGS-84 Polygon or MultiPolygon, or ValueError saying why not."""
    if not isinstance(geometry, dict):
        raise ValueError("缺少几何 / missing geometry")
    kind = geometry.get("type")
    if kind not in _POLYGONAL:
        raise ValueError(
            f"几何类型 {kind!r} 不是多边形 / geometry type is not Polygon or MultiPolygon"
        )
    _check_positions(geometry.get("coordinates"), depth=3 if kind == "Polygon" else 4)
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"几何无法构建 / malformed geometry: {exc}") from None
    if geom.is_empty:
        raise ValueError("几何为空 / empty geometry")
    if not geom.is_valid:
        raise ValueError(f"几何无效 / invalid geometry: {explain_validity(geom)}")


def _check_positions(coords: Any, *, depth: int) -> None:
    # Walk the nesting by hand: shapely would silently accept lon/lat far outside WGS-84.
    if not isinstance(coords, list) or not coords:
        raise ValueError("坐标结构有误 / coordinates are not a non-empty nested list")
    if depth == 1:
        if len(coords) < 2 or not all(_is_number(c) for c in coords):
            raise ValueError(f"坐标 {coords!r} 不是 [经度, 纬度] / position is not [lon, lat]")
        lon, lat = coords[0], coords[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(
                f"坐标 [{lon}, {lat}] 超出 WGS-84 范围 / "
                "position outside WGS-84 ranges (lon -180..180, lat -90..90)"
            )
        return
    for child in coords:
        _check_positions(child, depth=depth - 1)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_insurers(doc: Any) -> tuple[InsurerIn, ...]:
    """Validate the insurers list; problems are named by index, code and field."""
    if not isinstance(doc, list) or not doc:
        _fail(INSURERS_FILE, [("top level", "应为非空 JSON 数组 / expected a non-empty JSON list")])
    problems: list[tuple[str, str]] = []
    insurers: list[InsurerIn] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(doc):
        code = row.get("code") if isinstance(row, dict) else None
        where = f"[{i}] (code={code!r})"
        try:
            insurers.append(InsurerIn.model_validate(row))
        except ValidationError as exc:
            problems.append((where, validation_reason(exc)))
        if isinstance(code, str):
            if code in seen:
                problems.append(
                    (where, f"重复的保险公司代码 / duplicate code, first at [{seen[code]}]")
                )
            seen.setdefault(code, i)
    if problems:
        _fail(INSURERS_FILE, problems)
    return tuple(insurers)


def _fail(file: str, problems: list[tuple[str, str]]) -> None:
    raise ReferenceFileError(file=file, problems=problems)
