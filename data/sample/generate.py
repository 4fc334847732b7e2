"""Regenerate the bundled sample reference data (zones, insurers, outlets, adjusters, coordinators) reproducibly.

Run from the repository root: `.venv/bin/python data/sample/generate.py` (reads
../shared/data/zhejiang-counties.geojson beside the clone; pass another path as the first argument).
The outputs are committed, so `make run` works from a clone without ../shared.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOURCE = REPO.parent / "shared" / "data" / "zhejiang-counties.geojson"
SEED = 42
# A dev-only loopback placeholder: port 9 is "discard", nothing listens, so deliveries retry harmlessly.
WEBHOOK_URL = "http://127.0.0.1:9/webhooks/{code}"

INSURERS = [
    ("PICC", "中国人民财产保险股份有限公司", "PICC Property and Casualty Company Limited"),
    ("CPIC", "中国太平洋财产保险股份有限公司", "China Pacific Property Insurance Co., Ltd."),
    (
        "PINGAN",
        "中国平安财产保险股份有限公司",
        "Ping An Property & Casualty Insurance Company of China, Ltd.",
    ),
    (
        "CLPC",
        "中国人寿财产保险股份有限公司",
        "China Life Property & Casualty Insurance Company Limited",
    ),
    (
        "CCIC",
        "中华联合财产保险股份有限公司",
        "China Continent Property & Casualty Insurance Company Ltd.",
    ),
    ("SUNSHINE", "阳光财产保险股份有限公司", "Sunshine Property and Casualty Insurance Co., Ltd."),
]


def _secret(rng: random.Random) -> str:
    return "whsec_" + base64.b64encode(rng.randbytes(32)).decode()


def build_insurers(rng: random.Random) -> list[dict[str, Any]]:
    """Six insurers; PICC shows a secret rotation (old and new secrets overlap for a day)."""
    out = []
    for code, name, name_en in INSURERS:
        secrets = [{"secret": _secret(rng)}]
        if code == "PICC":
            secrets = [
                {"secret": _secret(rng), "not_after": "2026-01-02T00:00:00+08:00"},
                {"secret": _secret(rng), "not_before": "2026-01-01T00:00:00+08:00"},
            ]
        url = WEBHOOK_URL.format(code=code.lower())
        out.append(
            {
                "code": code,
                "name": name,
                "name_en": name_en,
                "webhook_url": url,
                "webhook_secrets": secrets,
            }
        )
    return out


def build_zones(source: dict[str, Any]) -> dict[str, Any]:
    """All 90 counties, geometry and properties unchanged, ordered by id so diffs stay small."""
    features = sorted(source["features"], key=lambda f: f["properties"]["id"])
    props = dict(source.get("properties") or {})
    props["note"] = (
        "Bundled sample for `make run`; kinds and exemptions are illustrative, see README.md"
    )
    return {"type": "FeatureCollection", "properties": props, "features": features}


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"


def _point_in(geom: Any, rng: random.Random) -> dict[str, float]:
    """A uniform point inside `geom` (rejection sampling in its bounds), rounded to about a metre."""
    from shapely import contains_xy

    x0, y0, x1, y1 = geom.bounds
    while True:
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if contains_xy(geom, lon, lat):
            return {"lat": round(lat, 5), "lon": round(lon, 5)}


def build_people(zones: dict[str, Any], rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Per city: one outlet and three adjusters per insurer inside its urban districts; per rural county two
    coordinators living in it. Capacities 2–5; about one in twenty is inactive (on leave)."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    cities: dict[str, list[Any]] = {}
    for f in zones["features"]:
        if f["properties"]["kind"] == "urban":
            cities.setdefault(f["properties"]["adcode"][:4], []).append(shape(f["geometry"]))
    outlets, adjusters, coordinators = [], [], []
    for city, parts in sorted(cities.items()):
        area = unary_union(parts)
        for code, name, _ in INSURERS:
            outlets.append(
                {
                    "id": f"out-{code.lower()}-{city}",
                    "insurer_code": code,
                    "name": f"{name}{city}服务网点",
                    **_point_in(area, rng),
                }
            )
            for k in range(1, 4):
                adjusters.append(
                    {
                        "id": f"adj-{code.lower()}-{city}-{k}",
                        "insurer_code": code,
                        "name": rng.choice(SURNAMES) + "查勘员",
                        **_point_in(area, rng),
                        "capacity": rng.randint(3, 5),
                        "active": rng.random() > 0.05,
                        "username": f"adj.{code.lower()}.{city}.{k}",
                    }
                )
    for f in zones["features"]:
        props = f["properties"]
        if props["kind"] != "rural":
            continue
        for k in range(1, 3):
            coordinators.append(
                {
                    "id": f"coord-{props['adcode']}-{k}",
                    "zones": [props["id"]],
                    "name": rng.choice(SURNAMES) + "协理员",
                    **_point_in(shape(f["geometry"]), rng),
                    "capacity": rng.randint(2, 3),
                    "active": rng.random() > 0.05,
                    "username": f"coord.{props['adcode']}.{k}",
                }
            )
    return {"outlets.json": outlets, "adjusters.json": adjusters, "coordinators.json": coordinators}


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """A JSON list, one row per line."""
    path.write_text("[\n" + ",\n".join(_dumps(r) for r in rows) + "\n]\n", encoding="utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_feature_collection(path: Path, fc: dict[str, Any]) -> None:
    """One feature per line: readable diffs, still plain GeoJSON."""
    lines = ",\n".join(_dumps(f) for f in fc["features"])
    head = (
        f'{{"type":"FeatureCollection",\n"properties":{_dumps(fc["properties"])},\n"features":[\n'
    )
    path.write_text(head + lines + "\n]}\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    source_path = Path(argv[1]) if len(argv) > 1 else SOURCE
    if not source_path.exists():
        print(
            f"generate.py: {source_path} not found (expected ../shared beside the repository)",
            file=sys.stderr,
        )
        return 1
    source = json.loads(source_path.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    zones = build_zones(source)
    write_feature_collection(HERE / "zones.geojson", zones)
    insurers = json.dumps(build_insurers(rng), ensure_ascii=False, indent=2) + "\n"
    (HERE / "insurers.json").write_text(insurers, encoding="utf-8")
    # A stream of its own, so the insurers' secrets stay what they were before people were added.
    for name, rows in build_people(zones, random.Random(SEED + 1)).items():
        write_rows(HERE / name, rows)
        print(f"wrote {HERE / name} ({len(rows)} rows)")
    print(
        f"wrote {HERE / 'zones.geojson'} ({len(source['features'])} zones) and {HERE / 'insurers.json'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
