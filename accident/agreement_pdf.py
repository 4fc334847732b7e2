"""The agreement as a printable A4 PDF in Chinese (reportlab), the CJK font embedded. CPU work: call in a thread.

The font is WenQuanYi Micro Hei (TrueType outlines, which reportlab can subset and embed), shipped by the
`paperang-p2-fonts-cjk` package this project depends on; nothing is read from the host's font directories.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "KuaichuCJK"


@cache
def _register_font() -> str:
    """Register the embedded CJK font once per process (reportlab's font registry is process-wide)."""
    path = resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
    with resources.as_file(path) as file:
        pdfmetrics.registerFont(TTFont(FONT, str(file), subfontIndex=0))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _register_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {"title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1),
            "h": ParagraphStyle("h", parent=base, fontSize=12, leading=18, spaceBefore=6),
            "body": base, "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11)}


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    t = Table(rows, colWidths=widths)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)]))
    return t


def _party_rows(p: dict[str, Any], st: dict[str, ParagraphStyle]) -> list[list[Any]]:
    def row(k: str, v: str) -> list[Any]:
        return [Paragraph(k, st["body"]), Paragraph(v, st["body"])]

    ins = p["insurance"]
    return [row("当事人", f"{p['label']}方 {p['name']}"), row(p["id_kind_zh"], p["id_number"]),
            row("联系方式", p["phone"]),
            row("机动车种类及号牌号码", f"{p['vehicle']['type_zh']} {p['vehicle']['plate']}"),
            row("保险公司", f"{ins['insurer_name']}（{ins['insurer_code']}）"), row("保险凭证号", ins["policy_number"]),
            row("碰撞部位", p["impact"]["zh"]),
            row("当事人责任", f"{p['liability']['zh']}（{p['liability']['share_percent']}%）")]


def render_agreement_pdf(content: dict[str, Any]) -> bytes:
    """The agreement PDF; byte-identical for the same content (reportlab's invariant mode)."""
    st = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=content["title"]["zh"], author="快处 Kuaichu",
                            invariant=1)
    acc = content["accident"]
    place = acc["place"]
    w = [45 * mm, 129 * mm]
    story: list[Any] = [Paragraph(content["title"]["zh"], st["title"]),
                        Paragraph(f"事故编号：{content['report_id']}　协议版本：{content['proposal_version']}",
                                  st["small"]),
                        Spacer(1, 4 * mm), Paragraph("一、事故基本情况", st["h"])]
    story.append(_table([[Paragraph(k, st["body"]), Paragraph(v, st["body"])] for k, v in (
        ("事故发生时间", acc["time_zh"]),
        ("事故发生地点", f"{place['zone']} {place['address']}（北纬 {place['lat']:.5f}，东经 {place['lon']:.5f}）"),
        ("天气", acc["weather"]["zh"]), ("事故形态", acc["collision"]["zh"]))], w))
    story.append(Paragraph("二、当事人、车辆及保险情况", st["h"]))
    for p in content["parties"]:
        story += [_table(_party_rows(p, st), w), Spacer(1, 3 * mm)]
    story.append(Paragraph("三、责任认定依据", st["h"]))
    for m in content["liability_basis"]["matched"]:
        story.append(Paragraph(f"{m['party']}方：{m['scenario']} {m['title']['zh']}（{'、'.join(m['legal_basis'])}）",
                               st["body"]))
    ts = content["liability_basis"]["template_set"]
    story += [Paragraph(f"情形模板：{ts['id']} 版本 {ts['version']}", st["small"]),
              Paragraph("四、协议内容", st["h"]), Paragraph(content["terms"]["zh"], st["body"]),
              Paragraph("五、当事人签名", st["h"])]
    for s in content["signatures"]:
        image = f"，签名图像 SHA-256：{s['image_sha256']}" if s["image_sha256"] else ""
        opt = "同意" if s["mutual_self_compensation"] else "不同意"
        story.append(Paragraph(f"{s['party']}方 {s['name']}：{s['signed_at_zh']} 以{s['method_zh']}签署"
                               f"{image}；{opt}适用交强险互碰自赔。", st["body"]))
    made = f"依据《道路交通事故处理程序规定》第二十一条制作。生成时间：{content['created_at']}"
    story += [Spacer(1, 4 * mm), Paragraph(made, st["small"])]
    doc.build(story)
    return out.getvalue()
