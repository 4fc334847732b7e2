"""Regenerate the bundled sample reference data (zones.geojson, insurers.json) reproducibly.

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
    ("CLPC", "中国人寿财产保险股份有限公司", "China Life Property & Casualty Insurance Company Limited"),
    ("CCIC", "中华联合财产保险股份有限公司", "China Continent Property & Casualty Insurance Company Ltd."),
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
            {"code": code, "name": name, "name_en": name_en, "webhook_url": url, "webhook_secrets": secrets}
        )
    return out


def build_zones(source: dict[str, Any]) -> dict[str, Any]:
    """All 90 counties, geometry and properties unchanged, ordered by id so diffs stay small."""
    features = sorted(source["features"], key=lambda f: f["properties"]["id"])
    props = dict(source.get("properties") or {})
    props["note"] = "Bundled sample for `make run`; kinds and exemptions are illustrative, see README.md"
    return {"type": "FeatureCollection", "properties": props, "features": features}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_feature_collection(path: Path, fc: dict[str, Any]) -> None:
    """One feature per line: readable diffs, still plain GeoJSON."""
    lines = ",\n".join(_dumps(f) for f in fc["features"])
    head = f'{{"type":"FeatureCollection",\n"properties":{_dumps(fc["properties"])},\n"features":[\n'
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
    write_feature_collection(HERE / "zones.geojson", build_zones(source))
    insurers = json.dumps(build_insurers(rng), ensure_ascii=False, indent=2) + "\n"
    (HERE / "insurers.json").write_text(insurers, encoding="utf-8")
    print(f"wrote {HERE / 'zones.geojson'} ({len(source['features'])} zones) and {HERE / 'insurers.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
