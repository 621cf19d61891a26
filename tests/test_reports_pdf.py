"""The printed PDFs read back (pypdf, poppler's pdftotext): GB/T 9704 type and geometry,
page numbers, the 版记, issue numbers, the pack's 目录 and how full its pages are.

The demo (35 departments, 150 projects, day 43 of the window) is built once for this
module and both documents are rendered from it with WeasyPrint for real; what the tests
read is kept as plain data, and the database is rolled back. A smaller city (three
departments) checks figures one by one.

Page geometry (points): A4 595.28 × 841.89; text block 156 × 225 mm, top 37 mm; binding
margin 28 mm on the left of odd pages, on the right of even ones.
"""

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from competition.models import Report
from competition.reports import service
from competition.scoring import compute_league
from competition.tasks import build_report
from projects.models import Receipt
from tests.test_reports import AS_OF, OFFICE_NAME, build_city

# Every test needs the test database, and the marker is what makes pytest-django set it
# up when only the demo's tests are selected (the module fixture asks for no `db`).
pytestmark = pytest.mark.django_db

MM = 72 / 25.4
A4 = (595.28, 841.89)
TOP = 37 * MM
BOTTOM = (37 + 225) * MM  # the text block's bottom edge, 742.68
FULL = 225 * MM
ODD_LEFT, EVEN_LEFT = 28 * MM, 26 * MM
TEXT_WIDTH = 156 * MM
DEMO_DAY = date(2026, 12, 3)  # day 43 of the demo window
FANDOL = {"FandolFang", "FandolHei", "FandolKai", "FandolSong-Bold"}
COLOPHON_WORDS = ("抄送：", "印发", "（共印")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Printed:
    """A rendered PDF, read back once."""

    data: bytes
    reader: pypdf.PdfReader
    pages: list[str]  # each page's text with white space removed
    words: list[list[Word]]  # pdftotext -bbox, per page

    def spans(self, index: int) -> list[tuple[str, str, float]]:
        """(text, font family, size in pt) of what page `index` shows."""
        found = []

        def visit(text, cm, tm, font, size):
            if text.strip() and font is not None:
                family = str(font["/BaseFont"]).split("+", 1)[-1]
                found.append((text.strip(), family, round(size * cm[0] * tm[0], 2)))

        self_page = self.reader.pages[index]
        self_page.extract_text(visitor_text=visit)
        return found


def read_pdf(data: bytes, tmp: Path) -> Printed:
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]
    path = tmp / "doc.pdf"
    path.write_bytes(data)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    words = []
    for page in re.findall(r"<page .*?</page>", html, re.S):
        words.append(
            [
                Word(text, float(x0), float(y0), float(x1), float(y1))
                for x0, y0, x1, y1, text in re.findall(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                    r"(.*?)</word>",
                    page,
                )
            ]
        )
    return Printed(data=data, reader=reader, pages=pages, words=words)


def fonts_of(reader: pypdf.PdfReader) -> dict[str, bool]:
    """Every font used: its family (subset prefix dropped) -> whether it is embedded."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            name = str(font["/BaseFont"])
            assert re.match(r"^/[A-Z]{6}\+", name), f"{name} is not a subset"
            fonts[name.split("+", 1)[1]] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return fonts


def body_words(page: list[Word]) -> list[Word]:
    """The words inside the text block, without the 版记 (whose place is fixed)."""
    inside = [w for w in page if w.y1 <= BOTTOM + 1]
    colophon = [w.y0 for w in inside if w.text.startswith(COLOPHON_WORDS)]
    if colophon:
        inside = [w for w in inside if w.y0 < min(colophon) - 1]
    return inside


def fill(page: list[Word]) -> float:
    """How far down the text block a page's content reaches (0 empty, 1 full)."""
    words = body_words(page)
    return (max(w.y1 for w in words) - TOP) / FULL if words else 0.0


def contents(report: Report) -> bytes:
    with report.file.open("rb") as f:
        return f.read()


DEPARTMENT_HEADING = re.compile(r"（([一二三四五六七八九十]+)）(\S+?)全市第\d+名")


# ---- the demo, built once -----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo's bulletin (built twice for its date, then for the week before) and pack."""
    import time_machine
    from django.conf import settings

    from competition.reports.pdf import FANDOL_FACES
    from demo.loader import build_demo

    missing = [f for *_x, f in FANDOL_FACES if not (settings.REPORT_FONTS_DIR / f).is_file()]
    if missing:
        pytest.fail(
            f"The Fandol fonts are missing in {settings.REPORT_FONTS_DIR}: run scripts/test, "
            "or: bash -c 'source scripts/lib.sh && ensure_fandol_fonts'",
            pytrace=False,
        )
    tmp = tmp_path_factory.mktemp("demo-pdfs")
    result = {}
    with (
        django_db_blocker.unblock(),
        time_machine.travel("2026-12-03 09:00 +08:00", tick=False),
        override_settings(
            MEDIA_ROOT=tmp / "media",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        competition = build_demo(today=DEMO_DAY).competition
        first = service.build_now(competition, kind="bulletin", as_of=DEMO_DAY)
        again = service.build_now(competition, kind="bulletin", as_of=DEMO_DAY)
        earlier = service.build_now(
            competition, kind="bulletin", as_of=DEMO_DAY - timedelta(days=7)
        )
        # Rebuilt once more, the 第5期 of DEMO_DAY compares with the issue dated before it.
        bulletin = service.build_now(competition, kind="bulletin", as_of=DEMO_DAY)
        pack = service.build_now(competition, kind="pack", as_of=DEMO_DAY)
        league = compute_league(competition, as_of=DEMO_DAY)
        result = {
            "issues": [(r.pk, r.issue_number) for r in (first, again, earlier, bulletin)],
            "bulletin": read_pdf(contents(bulletin), tmp),
            "earlier": read_pdf(contents(earlier), tmp),
            "pack": read_pdf(contents(pack), tmp),
            "league": league,
            "head_names": dict(
                competition.quotas.values_list("department__name", "department__head")
            ),
            "early": list(
                Receipt.objects.filter(occurred_on__lt=competition.start_date)
                .values_list("project__name", flat=True)
                .distinct()
            ),
        }
        transaction.set_rollback(True)
    return result


# ---- type (GB/T 9704 5.2.2, PRINT.md) -------------------------------------------------------


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_the_four_type_classes_are_embedded(demo, kind):
    fonts = fonts_of(demo[kind].reader)
    assert all(fonts.values()), fonts
    assert FANDOL <= set(fonts), fonts
    assert "FandolSong" in fonts  # the page numbers' 宋体
    assert not any(name.startswith("Noto") for name in fonts), fonts  # no fallback used


def test_the_bulletin_is_set_in_3hao_fangsong_with_2hao_title_and_3hao_headings(demo):
    bulletin = demo["bulletin"]
    spans = bulletin.spans(0)

    def style(prefix):
        return next((family, size) for text, family, size in spans if text.startswith(prefix))

    assert style("截至12月3日") == ("FandolFang", 16.0)  # body: 3号仿宋
    assert style("市直部门招商引资百日竞赛") == ("FandolSong-Bold", 22.0)  # title: 2号小标宋
    assert style("一、总体进展") == ("FandolHei", 16.0)  # 一、: 3号黑体
    assert style("招商引资百日竞赛简报")[0] == "FandolSong-Bold"  # the red masthead
    table = [s for s in bulletin.spans(2) if s[1] == "FandolFang"]
    assert table and all(size in (12.0, 10.5) for _t, _f, size in table)  # tables 小4
    headings = [s for p in range(len(bulletin.pages)) for s in bulletin.spans(p)]
    assert ("（一）总排名", "FandolKai", 16.0) in headings  # （一）: 3号楷体


def test_body_lines_sit_on_the_22_line_grid_across_the_text_block(demo):
    """A line is 28.95 pt (225 mm / 22); a full line spans the 156 mm text block."""
    page = demo["bulletin"].words[0]
    title = next(w for w in page if w.text == "（截至12月3日）")
    words = [w for w in page if round(w.y1 - w.y0) == 16 and title.y1 < w.y0 < BOTTOM]
    tops = sorted({round(w.y0, 2) for w in words})
    assert len(tops) >= 12
    pitches = [b - a for a, b in zip(tops, tops[1:], strict=False)]
    assert all(p == pytest.approx(28.95, abs=0.1) for p in pitches), pitches
    lines = {}
    for w in words:
        lines.setdefault(round(w.y0), []).append(w)
    widths = [max(w.x1 for w in ws) - min(w.x0 for w in ws) for ws in lines.values()]
    assert max(widths) == pytest.approx(TEXT_WIDTH, abs=16)  # full to within a character
    assert all(w.x0 >= ODD_LEFT - 0.5 for w in words)  # nothing left of the 订口


def test_a4_with_the_text_block_mirrored_for_binding(demo):
    """The binding margin (28 mm) is on the left of odd pages, on the right of even ones."""
    pack = demo["pack"]
    for page in pack.reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4, abs=0.1)
    for index in range(2, len(pack.words)):
        words = [w for w in pack.words[index] if w.y1 < BOTTOM]
        left = min(w.x0 for w in words)
        right = max(w.x1 for w in words)
        if (index + 1) % 2:
            assert left >= ODD_LEFT - 0.5 and right <= ODD_LEFT + TEXT_WIDTH + 0.5
        else:
            assert left >= EVEN_LEFT - 0.5 and right <= EVEN_LEFT + TEXT_WIDTH + 0.5
    # Full-width tables show which side the margin is on: on even pages they reach left
    # of where odd pages begin, on odd pages right of where even pages end.
    even = [min(w.x0 for w in pack.words[i]) for i in range(3, len(pack.words), 2)]
    odd = [max(w.x1 for w in pack.words[i] if w.y1 < BOTTOM) for i in range(2, len(pack.words), 2)]
    assert min(even) < ODD_LEFT - 1 and max(odd) > EVEN_LEFT + TEXT_WIDTH + 1


# ---- page numbers (GB/T 9704 7.5) ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_page_numbers_alternate_sides_one_character_in_and_7mm_below(demo, kind):
    printed = demo[kind]
    for index, page in enumerate(printed.words):
        number = index + 1
        below = sorted((w for w in page if w.y0 > BOTTOM), key=lambda w: w.x0)
        if kind == "pack" and index == 0:
            assert below == []  # the cover carries no number
            continue
        assert [w.text for w in below] == ["—", str(number), "—"], (kind, number)
        # 4号 digits and one-em dashes: 14 pt high, the line's top 7 mm under the block.
        assert all(w.y1 - w.y0 == pytest.approx(14, abs=0.2) for w in below)
        assert below[0].y0 == pytest.approx(BOTTOM + 7 * MM, abs=1)
        if number % 2:  # odd: right-hand page, one character in from the right edge
            right_edge = ODD_LEFT + TEXT_WIDTH
            assert below[-1].x1 == pytest.approx(right_edge - 14, abs=1.5), number
        else:  # even: left-hand page, one character in from the left edge
            assert below[0].x0 == pytest.approx(EVEN_LEFT + 14, abs=1.5), number
    assert not any("页共" in page for page in printed.pages)


# ---- the 版记 (GB/T 9704 7.4) ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_the_colophon_sits_at_the_foot_of_the_last_page(demo, kind):
    printed = demo[kind]
    last = printed.words[-1]
    left = ODD_LEFT if len(printed.words) % 2 else EVEN_LEFT
    copy_to = [w for w in last if w.text.startswith("抄送：")]
    assert len(copy_to) == 1 and copy_to[0].x0 == pytest.approx(left + 14, abs=1)
    text = printed.pages[-1]
    assert "抄送：市委办公室、市人大常委会办公室、市政府办公室、市政协办公室。" in text
    office = next(w for w in last if w.text == "市招商引资百日竞赛活动办公室")
    issued = next(w for w in last if w.text == "2026年12月3日印发")
    assert office.y0 == pytest.approx(issued.y0, abs=0.5)  # one line
    assert office.x0 == pytest.approx(left + 14, abs=1)  # one character in from the left
    assert issued.x1 == pytest.approx(left + TEXT_WIDTH - 14, abs=1)  # and from the right
    copies = next(w for w in last if w.text == "（共印60份）")
    assert copy_to[0].y0 < issued.y0 < copies.y0
    # Its last line ends at the bottom of the text block, and something else shares the page.
    assert BOTTOM - 30 < copies.y1 <= BOTTOM
    assert body_words(last), "the 版记 must not stand alone on its page"
    # Only once, on the last page.
    assert not any("印发" in page for page in printed.pages[:-1])


# ---- issue numbers ------------------------------------------------------------------------


def test_issue_numbers_are_the_sequence_of_published_dates(demo):
    (first_pk, first), (again_pk, again), (_pk, earlier), (last_pk, last) = demo["issues"]
    # The demo has published 第1-4期, the last a week ago (demo/cards.py): today's is a new
    # date, 第5期, whatever rebuilds; the week-old date keeps its 第4期.
    assert again_pk == first_pk == last_pk and first == again == last == 5  # not 第6期
    assert earlier == 4
    assert "招商引资百日竞赛简报第5期" in demo["bulletin"].pages[0]
    assert "招商引资百日竞赛简报第4期" in demo["earlier"].pages[0]


# ---- what the bulletin says -----------------------------------------------------------------


def test_the_bulletin_says_what_the_meeting_needs(demo):
    text = "".join(demo["bulletin"].pages)
    league, heads = demo["league"], demo["head_names"]
    totals = {m: int(v) if v == int(v) else v for m, v in league.totals.items()}
    assert (
        f"共邀请接待客商{totals['visit_batches']}批次{totals['visitors']}名" in text
    )  # the league's own figures
    assert "到帐" not in text and "有资金到账的签约项目" in text  # one spelling
    # 本周新增 beside the totals: the change since the issue dated before this one.
    assert "累计" in text and "本周新增" in text
    assert "本周新增：与第4期（截至11月26日）相比，即11月27日至12月3日发生的变化。" in text
    # Top three and bottom three by name, scores with one decimal, the yellow line 70%.
    first, last = league.rows[0], league.rows[-1]
    assert f"排名前三的是{first.department_name}（" in text
    assert f"{last.department_name}（{(last.score * 100).quantize(Decimal('0.1'))}%）。" in text
    assert "低于70%" in text
    # Ties between equal scores explained under the table.
    assert re.search(r"注：\S+?得分同为150\.0%，依到账资金", text)
    # The card lists name each department's 主要负责人.
    for row in league.rows:
        if row.yellow_card or row.zero_result:
            assert f"{row.department_name}{heads[row.department_name]}" in text
    # Receipts before the window are noted, by project.
    assert "前已有到账资金" in text and demo["early"]
    assert any(name in text for name in demo["early"])
    # The league by group, and 三有三不 with the reason beside each flag.
    assert "（二）分组排名" in text and "综合经济部门（" in text
    assert "项目不多：7个部门" in text and "不足各部门中位数（4个）的一半" in text


# ---- the briefing pack ------------------------------------------------------------------------


def test_the_pack_has_a_cover_and_a_table_of_contents_with_page_numbers(demo):
    pack = demo["pack"]
    cover, toc = pack.pages[0], pack.pages[1]
    assert "市直部门招商引资百日竞赛汇报会材料（数据截至12月3日）" in cover
    assert cover.endswith("市招商引资百日竞赛活动办公室2026年12月3日")
    assert toc.startswith("目录")
    entries = re.findall(r"（([一二三四五六七八九十]+)）([^.（]+?)\.{3,}(\d+)", toc)
    assert len(entries) == 35
    starts = {
        (m.group(1), m.group(2)): i + 1
        for i, page in enumerate(pack.pages)
        if (m := DEPARTMENT_HEADING.search(page[:60]))
    }
    for ordinal, name, number in entries:
        assert starts[(ordinal, name)] == int(number), name
    main = re.findall(r"([一二三四]、[^.]+?)\.{3,}(\d+)", toc)
    assert [title for title, _n in main] == [
        "一、总体情况",
        "二、各部门排名",
        "三、黄牌警告和无实绩部门",
        "四、各部门情况",
    ]
    assert int(main[-1][1]) == starts[("一", demo["league"].rows[0].department_name)]


def test_the_pack_fills_its_pages(demo):
    """Each department starts a page; at most two pages of the pack are under a quarter
    full (20 of 67 were before)."""
    pack = demo["pack"]
    fills = [fill(page) for page in pack.words]
    under = [i + 1 for i, f in enumerate(fills) if f < 0.25]
    assert len(under) <= 2, (under, [round(f, 2) for f in fills])
    starts = [i for i, page in enumerate(pack.pages) if DEPARTMENT_HEADING.search(page[:60])]
    assert len(starts) == 35
    # A department that runs onto a second page fills at least a quarter of it.
    for start, following in zip(starts, [*starts[1:], len(pack.pages)], strict=True):
        assert following - start <= 3
        for index in range(start + 1, following):
            assert fills[index] >= 0.25, index + 1


def test_the_pack_refers_to_the_bulletin_instead_of_repeating_it(demo):
    text = "".join(demo["pack"].pages[2:])  # after the cover and the 目录
    assert "详见同日《招商引资百日竞赛简报》第5期" in text
    assert "四、重大项目" not in text and "附图" not in text and "问题及依据" not in text
    # Its own parts: summary, league overall and by group, cards, then each department.
    assert text.index("一、总体情况") < text.index("（一）总排名") < text.index("（二）分组排名")
    assert (
        text.index("（二）分组排名")
        < text.index("三、黄牌警告和无实绩部门")
        < text.index("四、各部门情况")
    )
    # A metric without a target shows no weight: "—" (the demo sets groundbreaking 0 for some).
    assert "权重10—15202015—" in text


# ---- the small city: figures one by one ----------------------------------------------------


@pytest.fixture
def city(commerce, finance, time_machine):
    time_machine.move_to("2026-01-21 09:00 +08:00")
    comp = build_city(commerce, finance)
    comp.copy_to = "市委办公室，市政府办公室"
    comp.save()
    return comp


def build(comp, kind, user=None) -> Report:
    report = service.request_report(comp, kind=kind, as_of=AS_OF, user=user)
    assert build_report.delay(str(report.pk)).get() == "done"
    report.refresh_from_db()
    return report


def test_the_bulletin_prints_the_speech_figures_under_a_red_masthead(city, office, tmp_path):
    report = build(city, Report.Kind.BULLETIN, user=office)
    printed = read_pdf(contents(report), tmp_path)
    first, text = printed.pages[0], "".join(printed.pages)

    assert "内部资料注意保存招商引资百日竞赛简报第1期" in first
    assert OFFICE_NAME in first and "2026年1月21日" in first
    assert (
        "截至1月20日，百日竞赛已进行第20天（共100天，时间进度20.0%）。"
        "市直各部门共邀请接待客商3批次9名，新开工建设项目1个，有资金到账的签约项目1个，"
        "签订意向项目3个；正式签约项目2个，到账资金3000万元。"
    ) in first
    assert "参赛部门3个，其中按时序进度完成任务低于70%、给予黄牌警告的2个" in first
    assert "排名前三的是商务局（145.0%）、财政局（50.0%）、统计局（0.0%）。" in first
    assert text.index("1商务局") < text.index("2财政局") < text.index("3统计局")
    assert "1商务局2/10100.0%" in text  # visits 2 of 10: 2 / (10 × 0.2)
    assert "145.0%" in text and "黄牌" in text and "无实绩" in text
    # The card lists with each 主要负责人 (统计局 has none recorded: "—").
    assert "2财政局—50.0%连续1期3统计局—0.0%连续1期" in text
    assert "（二）无实绩部门1个" in text and "3统计局—0.0%" in text
    assert "风电装备制造项目" in text and "商贸物流园项目" in text and "经济开发区" in text
    assert "有行动，行动不力：接待客商1批次（任务10批次），时序进度完成率50.0%，低于70%" in text
    assert "图1全市累计完成情况与时序进度" in text and "图2各部门得分（按名次）" in text
    assert "抄送：市委办公室、市政府办公室。" in printed.pages[-1]
    assert "大丰市招商引资百日竞赛活动办公室2026年1月21日印发" in printed.pages[-1]
    assert "共印" not in text  # no print count set: no such line
    assert printed.reader.metadata.title == "招商引资百日竞赛简报（第1期）"


def test_the_briefing_pack_gives_each_department_its_own_pages(city, tmp_path):
    report = build(city, Report.Kind.PACK)
    printed = read_pdf(contents(report), tmp_path)
    pages = printed.pages
    assert "百日竞赛汇报会材料（数据截至1月20日）" in pages[0] and "期" not in pages[0]
    assert "市直各部门共邀请接待客商3批次9名" in "".join(pages)

    headings = ["（一）商务局全市第1名", "（二）财政局全市第2名", "（三）统计局全市第3名"]
    starts = [next(i for i, page in enumerate(pages) if h in page[:60]) for h in headings]
    assert starts == sorted(starts) and len(set(starts)) == 3

    commerce = "".join(pages[starts[0] : starts[1]])
    assert "主要负责人：王局长" in commerce
    # The timeline's ask (T × 0.2) and the ratios; visitors have no target: "—".
    assert "时序任务数2—10.60.410000.2" in commerce
    assert "时序进度完成率100.0%—" in commerce
    assert "开工建设风电装备制造项目高新8000" in commerce and "张三" in commerce
    assert "已流失光伏组件项目原因：投资方转投外地" in commerce
    assert "3.竞赛期间接待客商2批次5名" in commerce and "考察风电装备" in commerce
    statistics = "".join(pages[starts[2] :])
    assert "竞赛开始以来未接待客商" in statistics and "无实绩" in statistics


def test_a_receipt_before_the_window_is_noted_not_dropped(city, tmp_path):
    from projects.models import Stage
    from tests.conftest import make_milestone, make_project, make_receipt

    old = make_project(
        city.quotas.get(department__name="商务局").department, "P9", name="旧厂改造项目"
    )
    make_milestone(old, Stage.SIGNED, date(2025, 12, 1))
    make_receipt(old, date(2025, 12, 20), "500")
    report = build(city, Report.Kind.PACK)
    text = "".join(read_pdf(contents(report), tmp_path).pages)
    assert "另有1个项目在竞赛开始（2026年1月1日）前已有到账资金，共500万元" in text
    assert "旧厂改造项目500万元。" in text
    assert "*旧厂改造项目在竞赛开始（2026年1月1日）前到账500万元，不计入竞赛期间到账资金" in text
    assert "到账资金3000万元" in text  # the counted figure is unchanged


def test_the_build_report_command_rebuilds_a_date_under_its_number(city, tmp_path):
    out = tmp_path / "简报.pdf"
    args = ("build_report", "百日竞赛", "--kind", "bulletin", "--as-of", "2026-01-20")
    call_command(*args, "--output", out)
    call_command(*args, "--output", out)
    first = read_pdf(out.read_bytes(), tmp_path).pages[0]
    assert "第1期" in first and "截至1月20日" in first
    report = Report.objects.get()
    assert report.status == Report.Status.DONE and report.issue_number == 1
    assert report.as_of == date(2026, 1, 20) and report.requested_by is None
    call_command("build_report", "百日竞赛", "--kind", "bulletin", "--as-of", "2026-01-13")
    assert sorted(Report.objects.values_list("issue_number", flat=True)) == [1, 2]


@pytest.mark.parametrize("kind", ["bulletin", "pack"])
def test_first_pages_rendered_to_png(city, kind, artifacts_dir, tmp_path):
    """The first pages as pictures (pdftoppm), kept as test artifacts to look at: the
    bulletin's red masthead, the pack's cover and 目录, real glyphs."""
    from PIL import Image

    report = build(city, kind)
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(contents(report))
    stem = artifacts_dir / f"{kind}-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "3", str(pdf), str(stem)], check=True
    )
    first = Image.open(f"{stem}-1.png").convert("RGB")
    width, height = first.size
    top = first.crop((0, 0, width, height // 4))
    red = sum(1 for r, g, b in top.get_flattened_data() if r > 150 and g < 80 and b < 80)
    dark = sum(1 for r, g, b in first.get_flattened_data() if r < 90 and g < 90 and b < 90)
    if kind == "bulletin":
        assert red > 200, "the masthead is red"
    else:
        assert red == 0, "the pack's cover is black only"
    assert dark > 500, "the page carries text, not an empty frame"


def test_without_the_fandol_files_the_pdf_falls_back_to_noto_and_says_so(
    city, settings, tmp_path, caplog
):
    from competition.reports.pdf import html_to_pdf

    settings.REPORT_FONTS_DIR = tmp_path / "no-fonts"
    with caplog.at_level("WARNING", logger="competition.reports.pdf"):
        data = html_to_pdf("<html lang='zh-CN'><body><p>招商引资</p></body></html>")
    assert "report fonts missing" in caplog.text and "FandolFang-Regular.otf" in caplog.text
    fonts = fonts_of(pypdf.PdfReader(io.BytesIO(data)))
    assert fonts and all(name.startswith("Noto") for name in fonts), fonts


def test_the_fonts_folder_is_what_scripts_extract():
    """scripts/lib.sh and pdf.py agree on the file names (a rename would silently fall back)."""
    from django.conf import settings

    from competition.reports.pdf import FANDOL_FACES

    lib = (Path(settings.BASE_DIR) / "scripts" / "lib.sh").read_text()
    listed = re.search(r"FANDOL_FONTS=\(([^)]*)\)", lib).group(1).split()
    assert sorted(f"{name}.otf" for name in listed) == sorted(f for *_x, f in FANDOL_FACES)
    missing = [f for *_x, f in FANDOL_FACES if not (settings.REPORT_FONTS_DIR / f).is_file()]
    assert not missing, (
        f"run scripts/test, or: bash -c 'source scripts/lib.sh && ensure_fandol_fonts' ({missing})"
    )
