"""The printed PDFs, read back with pypdf: figures, masthead, page numbers, fonts, A4.

These render with WeasyPrint for real (a few seconds each).
"""

import io
import re
from datetime import date

import pypdf
import pytest
from django.core.management import call_command

from competition.models import Report
from competition.reports import service
from competition.tasks import build_report
from tests.test_reports import AS_OF, OFFICE_NAME, build_city

A4_POINTS = (595.28, 841.89)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-21 09:00 +08:00")


@pytest.fixture
def city(commerce, finance):
    return build_city(commerce, finance)


def pdf_pages(data: bytes) -> tuple[pypdf.PdfReader, list[str]]:
    """The reader and each page's text with all white space removed (CJK lines wrap
    anywhere, so a phrase is looked for without the line breaks the layout put in)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def fonts_of(reader: pypdf.PdfReader) -> dict[str, bool]:
    """Every font used: its base name -> whether its glyphs are embedded in the file."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


def build(comp, kind, user=None) -> Report:
    report = service.request_report(comp, kind=kind, as_of=AS_OF, user=user)
    assert build_report.delay(str(report.pk)).get() == "done"
    report.refresh_from_db()
    return report


def test_the_bulletin_prints_the_speech_figures_under_a_red_masthead(city, office):
    report = build(city, Report.Kind.BULLETIN, user=office)
    with report.file.open("rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-")
    reader, pages = pdf_pages(data)
    first, text = pages[0], "".join(pages)

    # Masthead: title, issue number, issuing office and the date it was issued.
    assert "内部资料注意保存招商引资百日竞赛简报第1期" in first
    assert OFFICE_NAME in first and "2026年1月21日" in first
    # The headline in the speech's own form (figures as of 1月20日, day 20 of 100).
    assert (
        "截至1月20日，百日竞赛已进行第20天（共100天，时间进度20.0%）。"
        "市直各部门共邀请接待客商3批次9名，新开工建设项目1个，有资金到帐的签约项目1个，"
        "签订意向项目3个；正式签约项目2个，到账资金3000万元。"
    ) in first
    assert "参赛部门3个，其中按时序进度完成任务低于70%、给予黄牌警告的2个" in first
    # League table with timeline ratios and cards, in rank order.
    assert text.index("1商务局") < text.index("2财政局") < text.index("3统计局")
    assert "1商务局综合经济部门·组内第12/10100.0%" in text  # visits 2 of 10: 2 / (10 × 0.2)
    assert "145.0%" in text and "黄牌" in text and "无实绩" in text
    # Yellow-card and zero-result lists.
    assert "财政局（第2名，得分50.0%）、统计局（第3名，得分0.0%）" in text
    assert "（二）无实绩部门1个" in text and "统计局。" in text
    # Major and reward-eligible projects, 三有三不, the charts.
    assert "风电装备制造项目" in text and "商贸物流园项目" in text and "经济开发区" in text
    assert "有行动，行动不力" in text and "接待客商1批次（任务10批次），时序进度完成率50.0%" in text
    assert "图1全市累计完成情况与时序进度" in text and "图2各部门得分（按名次）" in text
    assert "2026年1月21日印发" in pages[-1]

    # "第 X 页 共 Y 页" at the foot of every page.
    total = len(pages)
    assert total >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{total}页" in page

    # A4, fonts Noto CJK SC (sans headings, serif body), embedded and subset.
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            A4_POINTS, abs=0.1
        )
    fonts = fonts_of(reader)
    assert all(fonts.values()), fonts
    families = {name.split("+", 1)[1] for name in fonts}
    assert all("+" in name for name in fonts)  # subset fonts carry a "ABCDEF+" prefix
    assert {"Noto-Sans-CJK-SC", "Noto-Serif-CJK-SC"} <= families, families
    assert all(f.startswith(("Noto-Sans-CJK-SC", "Noto-Serif-CJK-SC")) for f in families)
    assert reader.metadata.title == "招商引资百日竞赛简报（第1期）"


def test_the_briefing_pack_gives_each_department_its_own_pages(city):
    report = build(city, Report.Kind.PACK)
    with report.file.open("rb") as f:
        _reader, pages = pdf_pages(f.read())
    assert "招商引资百日竞赛汇报会材料" in pages[0] and "期" not in pages[0][:20]
    assert "市直各部门共邀请接待客商3批次9名" in pages[0]

    headings = ["第1名商务局", "第2名财政局", "第3名统计局"]
    starts = []
    for heading in headings:
        found = [i for i, page in enumerate(pages) if heading in page]
        assert len(found) == 1, heading
        starts.append(found[0])
    assert starts == sorted(starts) and len(set(starts)) == 3
    # Each department starts a page of its own: no other department's heading on it.
    for page_index, heading in zip(starts, headings, strict=True):
        others = [h for h in headings if h != heading]
        assert not any(other in pages[page_index] for other in others)

    commerce = "".join(pages[starts[0] : starts[1]])
    assert "主要负责人：王局长" in commerce
    # Visits: target 10, timeline target 10 × 0.2 = 2, actual 2, ratio 100%, weight 10.
    assert "接待批次1022100.0%10" in commerce
    assert "开工建设（1个）风电装备制造项目" in commerce and "张三" in commerce
    assert "光伏组件项目2026-01-15投资方转投外地钱七" in commerce
    assert "三、客商接待（2批次5名）" in commerce and "考察风电装备" in commerce
    statistics = "".join(pages[starts[2] :])
    assert "竞赛开始以来未接待客商" in statistics and "无实绩" in statistics


def test_the_build_report_command_writes_the_pdf(city, tmp_path):
    out = tmp_path / "简报.pdf"
    call_command(
        "build_report", "百日竞赛", "--kind", "bulletin", "--as-of", "2026-01-20", "--output", out
    )
    _reader, pages = pdf_pages(out.read_bytes())
    assert "第1期" in pages[0] and "截至1月20日" in pages[0]
    report = Report.objects.get()
    assert report.status == Report.Status.DONE and report.issue_number == 1
    assert report.as_of == date(2026, 1, 20) and report.requested_by is None


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_first_page_rendered_to_png_shows_the_red_masthead(city, kind, artifacts_dir, tmp_path):
    """Page 1 as a picture (pdftoppm), kept as a test artifact: red masthead, real glyphs."""
    import subprocess

    from PIL import Image

    report = build(city, kind)
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(report.file.read())
    stem = artifacts_dir / f"{kind}-page1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    image = Image.open(f"{stem}.png").convert("RGB")
    width, height = image.size
    top = image.crop((0, 0, width, height // 4))
    red = sum(1 for r, g, b in top.get_flattened_data() if r > 150 and g < 80 and b < 80)
    dark = sum(1 for r, g, b in image.get_flattened_data() if r < 90 and g < 90 and b < 90)
    assert red > 200, "the masthead is red"
    assert dark > 500, "the page carries text, not an empty frame"
