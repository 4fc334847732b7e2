"""The signed agreement as a PDF: every character of the parties' text drawn and extractable, never markup."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest
from PIL import Image, ImageDraw

from accident.agreement import build_agreement
from accident.agreement_fonts import FontFile, FontMissing, locate
from accident.agreement_pdf import render_agreement_pdf
from kernel.canonical import canonical_json

EXT_A, EXT_B = (
    "\u3400\u4db5",
    "\U00020000\U0002a6d6",
)  # CJK Extension A and B (生僻字 in real names)
NO_FONT_HAS_IT = "\U00031350"  # CJK Extension H (Unicode 15): in none of the shipped fonts


def content(
    *,
    name_a: str = "张三",
    name_b: str = "李四",
    address: str = "杭州市上城区解放东路",
    images: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    images = images or {}
    parties = [
        {
            "label": label,
            "name": name,
            "id_kind": "id_card",
            "id_number": "330102199001011234",
            "phone": phone,
            "plate": plate,
            "vehicle_type": "small_passenger",
            "insurer_code": insurer,
            "policy_number": "PDZA2026330100001",
        }
        for label, name, phone, plate, insurer in (
            ("A", name_a, "13800000001", "浙A12345", "PICC"),
            ("B", name_b, "13800000002", "浙B54321", "CPIC"),
        )
    ]
    accounts = {
        "A": {"facts": {"impact": "front"}, "context": {"collision": "rear_end"}},
        "B": {"facts": {"impact": "rear"}, "context": {"collision": "rear_end"}},
    }
    proposal = {
        "version": 1,
        "result": {
            "allocations": [
                {"party": "A", "liability": "full", "share_percent": 100},
                {"party": "B", "liability": "none", "share_percent": 0},
            ],
            "template_set": {"id": "national-online", "version": "2026.1"},
            "matched": [
                {
                    "party": "A",
                    "scenario": "R01",
                    "title": {"zh": "追尾前车"},
                    "legal_basis": ["道路交通安全法实施条例第九十一条"],
                }
            ],
        },
    }
    signatures = [
        {
            "label": label,
            "signed_at": datetime(2026, 12, 8, 9, minute, tzinfo=UTC),
            "code_confirmed": True,
            "image_sha256": images.get(label),
            "mutual_self_compensation": label == "A",
        }
        for label, minute in (("A", 30), ("B", 31))
    ]
    report = {
        "id": "7f1d2c4e-0000-4000-8000-000000000001",
        "occurred_at": datetime(2026, 12, 8, 9, 5, tzinfo=UTC),
        "address": address,
        "zone_name": "上城区",
        "lat": 30.29575,
        "lon": 120.23538,
        "weather": "clear",
    }
    return build_agreement(
        report=report,
        parties=parties,
        accounts=accounts,
        proposal=proposal,
        signatures=signatures,
        insurers={"PICC": "中国人保", "CPIC": "太平洋保险"},
        created_at=datetime(2026, 12, 8, 9, 31, 5, tzinfo=UTC),
    )


def texts(pdf: bytes) -> tuple[str, str]:
    """The text as pypdf and as pdfium extract it (two independent readers)."""
    by_pypdf = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    doc = pypdfium2.PdfDocument(pdf)
    by_pdfium = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return by_pypdf, by_pdfium.replace("\r\n", "\n")


def flat(text: str) -> str:
    return "".join(text.split())


def inked(pdf: bytes, needle: str) -> list[bool]:
    """For each character of `needle` on page 1: whether its box on the rendered page has dark pixels."""
    page = pypdfium2.PdfDocument(pdf)[0]
    tp, scale, height = page.get_textpage(), 4, page.get_height()
    image = page.render(scale=scale).to_pil().convert("L")
    full = tp.get_text_range()
    assert needle in full, needle
    index = (
        len(full[: full.index(needle)].encode("utf-16-le")) // 2
    )  # pdfium counts UTF-16 code units
    assert tp.get_text_range(index, 1) == needle[0]
    out = []
    for ch in needle:
        left, bottom, right, top = tp.get_charbox(index)
        box = (
            int(left * scale),
            int((height - top) * scale),
            int(right * scale) + 1,
            int((height - bottom) * scale) + 1,
        )
        out.append(right - left > 3 and image.crop(box).getextrema()[0] < 128)
        index += 2 if ord(ch) > 0xFFFF else 1
    return out


def png(draw: bool = True) -> bytes:
    im = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    if draw:
        ImageDraw.Draw(im).line(
            [(20, 80), (120, 20), (200, 70), (280, 30)], fill=(0, 0, 0, 255), width=6
        )
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def test_markup_in_a_name_or_address_is_printed_as_the_characters_typed(tmp_path: Path):
    secret = tmp_path / "other-report-photo.png"
    Image.new("RGB", (50, 50), "red").save(secret)
    name = "<b>王五</b>"
    address = (
        f'<font size="40" color="red">解放东路</font><img src="{secret}" width="400" height="400"/>'
    )
    doc = content(name_a=name, address=address)
    pdf = render_agreement_pdf(doc)
    for text in texts(pdf):
        assert name in text
        assert flat(address) in flat(text)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [
        img.name for page in reader.pages for img in page.images
    ] == []  # the file was not embedded


@pytest.mark.parametrize(
    "name", ["<b>x", "x</para>", "&nbsp;<br/>", "{nb}", "**粗体**", "--删除--"]
)
def test_a_name_that_looks_like_markup_renders_and_stays_literal(name: str):
    pdf = render_agreement_pdf(content(name_a=name))
    for text in texts(pdf):
        assert name in text


def test_a_name_with_extension_a_and_b_characters_is_drawn_and_extracted_exactly():
    name = f"张{EXT_A}{EXT_B}"
    pdf = render_agreement_pdf(
        content(name_a=name, name_b=f"李{EXT_B[0]}", address=f"解放东路{EXT_A[0]}号")
    )
    for text in texts(pdf):
        assert name in text
        assert f"李{EXT_B[0]}" in text and f"解放东路{EXT_A[0]}号" in text
        assert "U+" not in text
    assert all(inked(pdf, name))


def test_a_character_no_font_has_is_shown_by_its_code_point_and_kept_exactly_in_the_json():
    name = f"赵{NO_FONT_HAS_IT}"
    doc = content(name_a=name)
    pdf = render_agreement_pdf(doc)
    for text in texts(pdf):
        assert "U+31350" in text and "赵" in text
    assert name.encode() in canonical_json(doc)


def test_the_drawn_signature_is_printed_and_a_missing_image_is_said_so():
    image = png()
    doc = content(images={"A": "a" * 64})
    pdf = render_agreement_pdf(doc, signature_images={"A": image})
    images = [img for page in pypdf.PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    assert len(images) == 1
    printed = images[0].image.convert("L")
    assert printed.size == (300, 100)
    assert printed.getextrema() == (0, 255)  # the strokes in black on white, not a blank box
    for text in texts(pdf):
        assert "a" * 64 in text and "未手写签名" in text  # B confirmed by code only


def test_an_undecodable_signature_image_does_not_stop_the_agreement():
    doc = content(images={"A": "b" * 64})
    pdf = render_agreement_pdf(doc, signature_images={"A": png()[:60]})
    for text in texts(pdf):
        assert "签名图像无法显示" in text and "b" * 64 in text


def test_times_are_written_in_beijing_time_as_people_write_them():
    doc = content()
    assert doc["accident"]["time_zh"] == "2026年12月8日 17:05"
    assert doc["signatures"][0]["signed_at_zh"] == "2026年12月8日 17:30"
    pdf = render_agreement_pdf(doc)
    for text in texts(pdf):
        assert (
            "2026年12月8日 17:05" in text
            and "2026年12月8日 17:30" in text
            and "2026年12月8日 17:31" in text
        )
        assert "北京时间" in text
        assert "T09:31:05" not in text


def test_a_two_party_agreement_is_one_page_with_its_page_number():
    images = {"A": png(), "B": png()}
    pdf = render_agreement_pdf(
        content(images={"A": "a" * 64, "B": "b" * 64}), signature_images=images
    )
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    for text in texts(pdf):
        assert "第1页，共1页" in flat(text)


def test_a_long_agreement_numbers_every_page_and_leaves_none_empty():
    address = "浙江省杭州市上城区解放东路与新业路交叉口东南角辅路" * 6
    pdf = render_agreement_pdf(
        content(address=address[:200], name_a="张" * 50, name_b="李" * 50), signature_images={}
    )
    doc = pypdfium2.PdfDocument(pdf)
    pages = len(doc)
    for i in range(pages):
        text = flat(doc[i].get_textpage().get_text_range())
        assert f"第{i + 1}页，共{pages}页" in text
        assert len(text) > 40  # more than the page number: no page is empty


def test_the_same_content_renders_to_the_same_bytes():
    doc = content(images={"A": "a" * 64})
    assert render_agreement_pdf(doc, signature_images={"A": png()}) == render_agreement_pdf(
        doc, signature_images={"A": png()}
    )


def test_a_font_that_is_not_installed_is_an_error_naming_its_debian_package():
    absent = FontFile(
        "absent", "no-such-font-kuaichu.ttf", "fonts-kuaichu-absent", "truetype/absent"
    )
    with pytest.raises(FontMissing, match="apt-get install -y fonts-kuaichu-absent"):
        locate(absent)
