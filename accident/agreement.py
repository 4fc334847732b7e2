"""The electronic 道路交通事故自行协商协议书 as JSON, with every element of 程序规定 §21. PURE.

§21: the agreement states the time, place and weather of the accident, the parties' names, licence or ID
numbers and phones, the vehicles' types and plates, the insurers and policy numbers, the collision type, the
impact points and each party's liability, and it is signed by the parties together.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8), "CST")
LIABILITY_ZH = {
    "full": "全部责任",
    "major": "主要责任",
    "equal": "同等责任",
    "minor": "次要责任",
    "none": "无责任",
}
WEATHER_ZH = {
    "clear": "晴",
    "overcast": "阴",
    "rain": "雨",
    "snow": "雪",
    "fog": "雾",
    "strong_wind": "大风",
    "dust": "沙尘",
    "hail": "冰雹",
    "other": "其他",
}
COLLISION_ZH = {
    "rear_end": "追尾碰撞",
    "head_on": "正面碰撞",
    "side_impact": "侧面碰撞",
    "sideswipe_same_direction": "同向刮擦",
    "sideswipe_opposite_direction": "对向刮擦",
    "single_vehicle": "单车事故",
}
IMPACT_ZH = {"front": "车辆前部", "rear": "车辆后部", "left": "车辆左侧", "right": "车辆右侧"}
VEHICLE_ZH = {
    "small_passenger": "小型载客汽车",
    "medium_passenger": "中型载客汽车",
    "large_passenger": "大型载客汽车",
    "light_truck": "轻型货车",
    "medium_truck": "中型货车",
    "heavy_truck": "重型货车",
    "motorcycle": "摩托车",
    "other": "其他机动车",
}
ID_KIND_ZH = {"licence": "驾驶证号", "id_card": "身份证号"}
TERMS_ZH = (
    "各方当事人对上述事故事实及责任划分无异议，自愿达成本协议，并依照《道路交通事故处理程序规定》第二十二条"
    "自行赔偿或到投保的保险公司办理损害赔偿事宜。"
)
TERMS_EN = (
    "The parties accept the facts and the liability above, agree of their own will, and settle the damage "
    "themselves or through their insurers (程序规定 §22)."
)


def china_time(at: datetime) -> str:
    """A time in Beijing time as people write it: 2026年12月8日 17:30."""
    t = at.astimezone(CHINA)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def _coded(table: dict[str, str], code: str | None) -> dict[str, str | None]:
    return {"code": code, "zh": table.get(code, "未填写") if code else "未填写（not stated）"}


def _party(
    p: dict[str, Any], account: dict[str, Any], share: dict[str, Any], insurers: dict[str, str]
) -> dict:
    return {
        "label": p["label"],
        "name": p["name"],
        "id_kind": p["id_kind"],
        "id_kind_zh": ID_KIND_ZH[p["id_kind"]],
        "id_number": p["id_number"],
        "phone": p["phone"],
        "vehicle": {
            "type": p["vehicle_type"],
            "type_zh": VEHICLE_ZH.get(p["vehicle_type"], p["vehicle_type"]),
            "plate": p["plate"],
        },
        "insurance": {
            "insurer_code": p["insurer_code"],
            "insurer_name": insurers.get(p["insurer_code"], ""),
            "policy_number": p["policy_number"],
        },
        "impact": _coded(IMPACT_ZH, account["facts"].get("impact")),
        "liability": {
            "code": share["liability"],
            "zh": LIABILITY_ZH[share["liability"]],
            "share_percent": share["share_percent"],
        },
    }


def _signature(s: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {
        "party": s["label"],
        "name": names[s["label"]],
        "signed_at": s["signed_at"].isoformat(),
        "signed_at_zh": china_time(s["signed_at"]),
        "method": "sms_one_time_code",
        "method_zh": "手机短信验证码确认",
        "code_confirmed": s["code_confirmed"],
        "image_sha256": s["image_sha256"],
        "mutual_self_compensation": s["mutual_self_compensation"],
    }


def build_agreement(
    *,
    report: dict[str, Any],
    parties: list[dict[str, Any]],
    accounts: dict[str, dict[str, Any]],
    proposal: dict[str, Any],
    signatures: list[dict[str, Any]],
    insurers: dict[str, str],
    created_at: datetime,
) -> dict[str, Any]:
    """The agreement's content from the report, the parties (personal data decrypted) and the signed proposal."""
    result = proposal["result"]
    shares = {a["party"]: a for a in result["allocations"]}
    first = accounts[parties[0]["label"]]
    names = {p["label"]: p["name"] for p in parties}
    return {
        "title": {
            "zh": "道路交通事故自行协商协议书",
            "en": "Road traffic accident self-negotiated agreement",
        },
        "legal_basis": "道路交通事故处理程序规定第二十一条",
        "report_id": str(report["id"]),
        "proposal_version": proposal["version"],
        "accident": {
            "time": report["occurred_at"].astimezone(CHINA).isoformat(),
            "time_zh": china_time(report["occurred_at"]),
            "place": {
                "address": report["address"] or "",
                "zone": report["zone_name"],
                "lat": report["lat"],
                "lon": report["lon"],
            },
            "weather": _coded(WEATHER_ZH, report["weather"]),
            "collision": _coded(COLLISION_ZH, first["context"]["collision"]),
        },
        "parties": [_party(p, accounts[p["label"]], shares[p["label"]], insurers) for p in parties],
        "liability_basis": {"template_set": result["template_set"], "matched": result["matched"]},
        "signatures": [_signature(s, names) for s in signatures],
        "terms": {"zh": TERMS_ZH, "en": TERMS_EN},
        "created_at": created_at.isoformat(),
    }
