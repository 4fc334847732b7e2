"""The agreement as a printable A4 PDF in Chinese (fpdf2). CPU work: call in a thread; any number at once.

Every string is drawn as text through fpdf2's plain-text calls (no markdown, no HTML, no page-count alias), so a
party's name is never markup and no file or URL is opened. Each rendering builds its own FPDF and its own font
subsets (accident.agreement_fonts). A character no shipped font draws is shown as its code point in 〖〗 and named
in a note; the agreement JSON keeps it exactly.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from PIL import Image

from accident import agreement_fonts as fonts
from accident.agreement import china_time

MARGIN, WIDTH = 18.0, 174.0  # mm; A4 is 210 mm wide
SIGNATURE_BOX = (60.0, 20.0)  # mm
MAX_SIGNATURE_PIXELS = 4_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIXED_TEXT = "第页，共0123456789〖〗U+ABCDEF"  # page numbers and code-point marks, drawn whatever the content
PARTY_ROWS = (
    "姓名",
    "证件类型及号码",
    "联系电话",
    "机动车种类",
    "号牌号码",
    "保险公司",
    "保险凭证号",
    "碰撞部位",
    "当事人责任",
)


class _Text:
    """User and fixed text made drawable: each character no font has becomes a visible code-point mark."""

    def __init__(self, strings: list[str]) -> None:
        chars = set("".join(strings)) | set(FIXED_TEXT)
        self.ok = fonts.covered(chars)
        self.missing = sorted(chars - self.ok)

    def __call__(self, s: str) -> str:
        return "".join(c if c in self.ok else f"〖U+{ord(c):04X}〗" for c in s)


def _strings(x: Any) -> list[str]:
    if isinstance(x, str):
        return [x]
    if isinstance(x, Mapping):
        return [s for v in x.values() for s in _strings(v)]
    if isinstance(x, list | tuple):
        return [s for v in x for s in _strings(v)]
    return []


def signature_image(data: bytes | None) -> Image.Image | None:
    """The drawn signature on white, in grey levels; None when it cannot be decoded."""
    # The size comes from the header first: pillow never sees a bomb, so never warns (warning filters are global).
    if data is None or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    if (
        int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")
        > MAX_SIGNATURE_PIXELS
    ):
        return None
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as im:
            rgba = im.convert("RGBA")
    except (OSError, SyntaxError, ValueError, EOFError):
        return None
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat.convert("L")


Op = tuple[Any, ...]


def _line(
    text: str, size: float = 10, h: float = 6, align: Align = Align.L, bold: bool = False
) -> Op:
    return ("line", text, size, h, align, bold)


def _small(text: str) -> Op:
    return _line(text, 8, 5)


def _layout(c: dict[str, Any]) -> list[Op]:
    """What the document says, in order, before anything is drawn (the fonts are cut to exactly its characters)."""
    acc, place = c["accident"], c["accident"]["place"]
    where = (
        f"{place['zone']} {place['address']}（北纬 {place['lat']:.5f}，东经 {place['lon']:.5f}）"
    )
    ops: list[Op] = [
        _line(c["title"]["zh"], 18, 11, Align.C, bold=True),
        _line(f"事故编号：{c['report_id']}　协议版本：第{c['proposal_version']}版", 8, 5, Align.C),
        ("heading", "一、事故基本情况"),
        (
            "table",
            [
                ["事故发生时间", f"{acc['time_zh']}（北京时间）"],
                ["事故发生地点", where],
                ["天气", acc["weather"]["zh"]],
                ["事故形态", acc["collision"]["zh"]],
            ],
            (32, WIDTH - 32),
        ),
        ("heading", "二、当事人、车辆及保险情况"),
    ]
    parties = c["parties"]
    for start in range(0, len(parties), 3):
        group = parties[start : start + 3]
        rows = [
            ["当事人", *(f"{p['label']}方" for p in group)],
            *([label, *(_party_cell(p, i) for p in group)] for i, label in enumerate(PARTY_ROWS)),
        ]
        ops.append(("table", rows, (32, *([(WIDTH - 32) / len(group)] * len(group)))))
    ops.append(("heading", "三、责任认定依据"))
    ops += [
        _line(
            f"{m['party']}方：{m['scenario']} {m['title']['zh']}（{'、'.join(m['legal_basis'])}）"
        )
        for m in c["liability_basis"]["matched"]
    ]
    ts = c["liability_basis"]["template_set"]
    ops += [
        _small(f"情形模板：{ts['id']} 版本 {ts['version']}"),
        ("heading", "四、协议内容"),
        _line(c["terms"]["zh"]),
        ("heading", "五、当事人签名"),
    ]
    for s in c["signatures"]:
        opt = "同意" if s["mutual_self_compensation"] else "不同意"
        lines = [
            f"{s['party']}方：{s['name']}",
            f"签署时间：{s['signed_at_zh']}（北京时间）",
            f"签署方式：{s['method_zh']}",
            f"{opt}适用交强险互碰自赔",
        ]
        sha = s["image_sha256"]
        ops.append(
            (
                "signature",
                s["party"],
                lines,
                "签名图像无法显示" if sha else "未手写签名，以短信验证码确认",
                f"签名图像 SHA-256：{sha}" if sha else "",
            )
        )
    made = china_time(datetime.fromisoformat(c["created_at"]))
    ops.append(
        _small(f"依据《道路交通事故处理程序规定》第二十一条制作。生成时间：{made}（北京时间）。")
    )
    return ops


class _Doc:
    def __init__(self, content: dict[str, Any], images: Mapping[str, bytes]) -> None:
        self.images = images
        self.ops = _layout(content)
        self.t = _Text(_strings(self.ops))
        if self.t.missing:
            marks = "、".join(f"〖U+{ord(ch):04X}〗" for ch in self.t.missing)
            self.ops.append(
                _small(f"{marks}：本文件字体无法显示的字符，以其码位标示；协议 JSON 中为原字符。")
            )
            self.t = _Text(_strings(self.ops))
        pdf = self.pdf = FPDF(format="A4", unit="mm")
        pdf.str_alias_nb_pages = None  # type: ignore[assignment]  # a "{nb}" in someone's name stays "{nb}"
        pdf.set_margins(MARGIN, 16, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_creation_date(datetime.fromisoformat(content["created_at"]))
        pdf.set_title(self.t(content["title"]["zh"]))
        pdf.set_author("快处 Kuaichu")

    def render(self) -> bytes:
        pdf = self.pdf
        with tempfile.TemporaryDirectory(prefix="kuaichu-agreement-") as tmp:
            subsets = fonts.write_subsets(self.t.ok, Path(tmp))
            for family, path in subsets:
                pdf.add_font(family, fname=path)
                # HarfBuzz wrote the bounding boxes; recomputing them makes fontTools decode and re-encode every
                # glyph when fpdf2 embeds the font, most of a rendering's time.
                pdf.fonts[family].ttfont.recalcBBoxes = False  # type: ignore[union-attr]  # TrueType, as added
            pdf.set_fallback_fonts([family for family, _ in subsets[1:]], exact_match=False)
            pdf.add_page()
            for op, *args in self.ops:
                getattr(self, op)(*args)
            self.footers()
            return bytes(pdf.output())

    def font(self, size: float) -> None:
        self.pdf.set_font(fonts.BASE.family, size=size)

    def line(
        self, text: str, size: float = 10, h: float = 6, align: Align = Align.L, bold: bool = False
    ) -> None:
        pdf, width = self.pdf, self.pdf.line_width
        self.font(size)
        if bold:  # the font has no bold face: stroke the outline as well
            pdf.text_mode, pdf.line_width = TextMode.FILL_STROKE, 0.25
        pdf.multi_cell(
            WIDTH,
            h,
            self.t(text),
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR,
        )
        pdf.text_mode, pdf.line_width = TextMode.FILL, width

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.line(text, 12, 8, bold=True)

    def table(self, rows: list[list[str]], widths: tuple[float, ...]) -> None:
        self.font(10)
        with self.pdf.table(
            col_widths=widths,
            width=WIDTH,
            first_row_as_headings=False,
            line_height=5.5,
            text_align="LEFT",
            wrapmode=WrapMode.CHAR,
            padding=(1, 1.5),
            markdown=False,
            align="LEFT",
        ) as table:
            for cells in rows:
                row = table.row()
                for text in cells:
                    row.cell(self.t(text))

    def signature(self, label: str, lines: list[str], no_image: str, note: str) -> None:
        pdf, (box_w, box_h) = self.pdf, SIGNATURE_BOX
        if pdf.will_page_break(box_h + 6):
            pdf.add_page()
        top = pdf.get_y()
        self.font(10)
        for text in lines:
            pdf.multi_cell(
                WIDTH - box_w - 4,
                5,
                self.t(text),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
                wrapmode=WrapMode.CHAR,
            )
        bottom, x = max(pdf.get_y(), top + box_h), MARGIN + WIDTH - box_w
        pdf.rect(x, top, box_w, box_h)
        image = signature_image(self.images.get(label)) if note else None
        if image is not None:
            pdf.image(image, x=x + 1, y=top + 1, w=box_w - 2, h=box_h - 2, keep_aspect_ratio=True)
        else:
            self.font(9)
            pdf.set_xy(x, top + box_h / 2 - 3)
            pdf.cell(box_w, 6, self.t(no_image), align=Align.C)
        pdf.set_xy(MARGIN, bottom + 0.5)
        if note:
            self.line(note, 7, 4)
        pdf.ln(2)

    def footers(self) -> None:
        pdf, total = self.pdf, self.pdf.pages_count
        pdf.set_auto_page_break(False)
        for n in range(1, total + 1):
            pdf.page = n
            pdf.set_xy(MARGIN, 297 - 12)
            self.font(8)
            pdf.cell(WIDTH, 5, f"第{n}页，共{total}页", align=Align.C)


def _party_cell(p: dict[str, Any], row: int) -> str:
    ins = p["insurance"]
    return (
        p["name"],
        f"{p['id_kind_zh']}：{p['id_number']}",
        p["phone"],
        p["vehicle"]["type_zh"],
        p["vehicle"]["plate"],
        f"{ins['insurer_name']}（{ins['insurer_code']}）",
        ins["policy_number"],
        p["impact"]["zh"],
        f"{p['liability']['zh']}（{p['liability']['share_percent']}%）",
    )[row]


def render_agreement_pdf(
    content: dict[str, Any], signature_images: Mapping[str, bytes] | None = None
) -> bytes:
    """The agreement PDF, with each party's drawn signature (PNG bytes by party label); same input, same bytes."""
    return _Doc(content, signature_images or {}).render()
