"""Bad ledgers are refused whole: every bad row named by sheet, row, column and reason."""

import subprocess
import sys
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from competition.ledger.importer import import_ledger
from competition.models import Competition, Quota
from departments.models import Department, DepartmentGroup
from projects.models import Milestone, Project, Receipt, Visit
from tests.fixtures.ledger import make_workbook, sample_sheets, set_cell, write_workbook

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 7, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


def load(sheets, **kwargs):
    return import_ledger(BytesIO(make_workbook(sheets)), **kwargs)


def nothing_written():
    models = [Competition, Quota, Department, DepartmentGroup, Project, Milestone, Receipt, Visit]
    return all(not m.objects.exists() for m in models)


def where(report):
    return [(e.sheet, e.row, e.column) for e in report.errors]


def edit(*cells):
    sheets = sample_sheets()
    for sheet, row, column, value in cells:
        set_cell(sheets, sheet, row, column, value)
    return sheets


# (what is wrong, the workbook, where the error must be, words of the reason)
BAD_CELLS = [
    (
        "unknown department of a project",
        edit(("项目", 2, "责任部门", "不存在局")),
        ("项目", 2, "责任部门"),
        "未知部门",
    ),
    (
        "unknown department of a quota",
        edit(("任务", 3, "部门名称", "外局")),
        ("任务", 3, "部门名称"),
        "未知部门",
    ),
    (
        "unknown department of a visit",
        edit(("接待", 2, "接待部门", "外局")),
        ("接待", 2, "接待部门"),
        "未知部门",
    ),
    (
        "signed before intent",
        edit(("项目", 2, "签约日期", date(2026, 3, 1))),
        ("项目", 2, "签约日期"),
        "不能早于",
    ),
    (
        "intent before lead",
        edit(("项目", 3, "意向日期", date(2026, 3, 1))),
        ("项目", 3, "意向日期"),
        "不能早于",
    ),
    (
        "receipt before signing",
        edit(("到账", 2, "到账日期", date(2026, 3, 10))),
        ("到账", 2, "到账日期"),
        "不能早于",
    ),
    (
        "groundbreaking before the first receipt",
        edit(("项目", 2, "开工日期", date(2026, 3, 25))),
        ("项目", 2, "开工日期"),
        "不能早于",
    ),
    ("negative amount", edit(("到账", 3, "金额", -5)), ("到账", 3, "金额"), "必须大于0"),
    ("zero amount", edit(("到账", 3, "金额", 0)), ("到账", 3, "金额"), "必须大于0"),
    (
        "amount that is not a number",
        edit(("到账", 3, "金额", "五百")),
        ("到账", 3, "金额"),
        "不是数字",
    ),
    ("too many decimals", edit(("到账", 3, "金额", "1.234")), ("到账", 3, "金额"), "最多2位小数"),
    (
        "text that is not a date",
        edit(("到账", 2, "到账日期", "四月一日")),
        ("到账", 2, "到账日期"),
        "不是日期",
    ),
    (
        "impossible date",
        edit(("项目", 3, "意向日期", "2026-02-30")),
        ("项目", 3, "意向日期"),
        "不是日期",
    ),
    (
        "number that is not a date",
        edit(("接待", 2, "接待日期", 46000)),
        ("接待", 2, "接待日期"),
        "不是日期",
    ),
    (
        "future date",
        edit(("接待", 2, "接待日期", date(2099, 1, 1))),
        ("接待", 2, "接待日期"),
        "不能晚于今天",
    ),
    (
        "yes/no that is neither",
        edit(("项目", 2, "高新技术", "对")),
        ("项目", 2, "高新技术"),
        "“是”或“否”",
    ),
    (
        "yes/no of the competition",
        edit(("竞赛", 2, "计入待核实", "可能")),
        ("竞赛", 2, "计入待核实"),
        "“是”或“否”",
    ),
    ("unknown industry", edit(("项目", 2, "行业", "制造业")), ("项目", 2, "行业"), "未知的行业"),
    (
        "unknown source channel",
        edit(("项目", 2, "信息来源", "朋友")),
        ("项目", 2, "信息来源"),
        "未知的信息来源",
    ),
    ("unknown metric", edit(("权重", 3, "指标", "利润")), ("权重", 3, "指标"), "未知的指标"),
    ("negative weight", edit(("权重", 3, "权重", -1)), ("权重", 3, "权重"), "不能小于0"),
    ("persons below one", edit(("接待", 2, "人数", 0)), ("接待", 2, "人数"), "不能小于1"),
    ("persons not whole", edit(("接待", 2, "人数", 2.5)), ("接待", 2, "人数"), "必须是整数"),
    ("negative quota", edit(("任务", 2, "签约项目", -1)), ("任务", 2, "签约项目"), "不能小于0"),
    ("blank required cell", edit(("项目", 3, "项目名称", None)), ("项目", 3, "项目名称"), "必填"),
    (
        "end before start",
        edit(("竞赛", 2, "结束日期", date(2026, 2, 1))),
        ("竞赛", 2, "结束日期"),
        "不能早于",
    ),
    ("zero cap", edit(("竞赛", 2, "封顶", 0)), ("竞赛", 2, "封顶"), "封顶必须大于0"),
    (
        "receipt of an unknown project",
        edit(("到账", 2, "项目编号", "P999")),
        ("到账", 2, "项目编号"),
        "未知项目编号",
    ),
    (
        "visit of an unknown project",
        edit(("接待", 2, "项目编号", "P999")),
        ("接待", 2, "项目编号"),
        "未知项目编号",
    ),
    (
        "loss without a reason",
        edit(("项目", 4, "流失原因", None)),
        ("项目", 4, "流失原因"),
        "流失原因",
    ),
    (
        "loss before the first node",
        edit(("项目", 4, "流失日期", date(2026, 3, 1))),
        ("项目", 4, "流失日期"),
        "第一个节点",
    ),
    (
        "node after the loss",
        edit(("项目", 4, "流失日期", date(2026, 3, 30))),
        ("到账", 4, "到账日期"),
        "流失",
    ),
    (
        "too long a name",
        edit(("项目", 2, "项目名称", "长" * 201)),
        ("项目", 2, "项目名称"),
        "200个字符",
    ),
]


@pytest.mark.parametrize(
    "sheets,location,words", [c[1:] for c in BAD_CELLS], ids=[c[0] for c in BAD_CELLS]
)
def test_bad_cell_is_refused_with_its_place(db, sheets, location, words):
    report = load(sheets)

    assert location in where(report), [str(e) for e in report.errors]
    error = report.errors[where(report).index(location)]
    assert words in error.reason
    assert words in str(error) and f"第{location[1]}行" in str(error)
    assert nothing_written()


def test_duplicate_project_code(db):
    sheets = sample_sheets()
    sheets["项目"].append(list(sheets["项目"][2]))  # P002 again on row 6
    report = load(sheets)
    assert where(report) == [("项目", 6, "项目编号")]
    assert "P002" in report.errors[0].reason and "第3行" in report.errors[0].reason
    assert nothing_written()


def test_duplicate_department(db):
    sheets = sample_sheets()
    sheets["部门"].append(["商务局", None, 9])
    report = load(sheets)
    assert where(report) == [("部门", 5, "部门名称")]


def test_missing_required_column(db):
    sheets = sample_sheets()
    column = sheets["项目"][0].index("责任部门")
    for row in sheets["项目"]:
        del row[column]
    report = load(sheets)
    assert ("项目", 1, "责任部门") in where(report)
    assert "缺少必填列" in str(report.errors[0])
    assert nothing_written()


def test_missing_sheet(db):
    sheets = sample_sheets()
    del sheets["接待"]
    report = load(sheets)
    assert where(report) == [("接待", None, None)]
    assert str(report.errors[0]) == "工作表“接待”：缺少工作表“接待”。"
    assert nothing_written()


def test_two_competition_rows(db):
    sheets = sample_sheets()
    sheets["竞赛"].append(list(sheets["竞赛"][1]))
    assert where(load(sheets)) == [("竞赛", 3, None)]


def test_every_bad_row_is_reported(db):
    sheets = edit(
        ("项目", 2, "行业", "制造业"),
        ("到账", 3, "金额", -1),
        ("接待", 4, "人数", 0),
        ("接待", 5, "接待日期", "昨天"),
    )
    report = load(sheets)
    assert where(report) == [
        ("项目", 2, "行业"),
        ("到账", 3, "金额"),
        ("接待", 4, "人数"),
        ("接待", 5, "接待日期"),
    ]


def test_bad_row_leaves_an_existing_competition_unchanged(db):
    load(sample_sheets())
    sheets = edit(("项目", 2, "项目名称", "新名字"), ("到账", 2, "金额", -1))
    history = Project.history.count()

    report = load(sheets)

    assert not report.ok
    assert Project.objects.get(code="P001").name == "新能源电池"
    assert Project.history.count() == history


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook at all", b"PK\x03\x04garbage", "部门,分组\n商务局,\n".encode()],
    ids=["empty", "text", "broken zip", "csv"],
)
def test_file_that_is_not_a_workbook(db, content):
    report = import_ledger(BytesIO(content))
    assert len(report.errors) == 1
    assert "不是有效的Excel工作簿" in str(report.errors[0])


def test_zip_that_is_not_a_workbook(db):
    import zipfile

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    report = import_ledger(BytesIO(buffer.getvalue()))
    assert "不是有效的Excel工作簿" in str(report.errors[0])


def test_command_reports_errors_and_fails(db, tmp_path, capsys):
    path = write_workbook(tmp_path / "bad.xlsx", edit(("到账", 3, "金额", -5)))
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_ledger", str(path))
    err = capsys.readouterr().err
    assert "工作表“到账”第3行“金额”列：必须大于0" in err
    assert nothing_written()


def test_command_dry_run(db, tmp_path, capsys):
    path = write_workbook(tmp_path / "good.xlsx", sample_sheets())
    call_command("import_ledger", str(path), "--dry-run")
    assert "试运行" in capsys.readouterr().out
    assert nothing_written()


def test_command_exit_status_is_non_zero_on_a_bad_file(tmp_path):
    """Run as the office would, in a shell: no traceback, a clear message, status 1."""
    path = tmp_path / "台账.xlsx"
    path.write_text("这不是Excel文件")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_ledger", str(path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "不是有效的Excel工作簿" in result.stderr
    assert "Traceback" not in result.stderr
