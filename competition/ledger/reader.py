"""Read a ledger workbook (台账) into plain rows, with every problem found on the way.

Nothing here touches the database: checks that need it (stage order against stored
milestones, project codes of other ledgers) are the importer's. Each problem is an
`Issue` naming the sheet, row number (Excel's, the header being row 1), column and a
reason in Chinese. A row with a bad cell is still returned, with the bad value left
out and `has_errors` set, so later cross-sheet checks make no second, spurious report.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from competition.ledger import schema
from competition.models import Competition, MetricWeight
from departments.models import Department, DepartmentGroup
from projects.models import Project, Visit, validate_code

MAX_INT = 2_147_483_647  # the smallest integer column of the supported databases


@dataclass(frozen=True)
class Issue:
    """One problem of a workbook: where it is and why, in Chinese."""

    sheet: str | None
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(_("工作表“%(sheet)s”") % {"sheet": self.sheet})
        if self.row:
            where.append(_("第%(row)d行") % {"row": self.row})
        if self.column:
            where.append(_("“%(column)s”列") % {"column": self.column})
        return f"{''.join(where)}：{self.reason}" if where else self.reason

    def sort_key(self) -> tuple:
        order = list(schema.SHEET_BY_NAME)
        sheet_index = order.index(self.sheet) if self.sheet in order else -1
        columns = schema.SHEET_BY_NAME[self.sheet].columns if self.sheet in order else ()
        column_index = columns.index(self.column) if self.column in columns else -1
        return (sheet_index, self.row or 0, column_index)


class LedgerFileError(Exception):
    """The file cannot be read as a workbook at all."""


class CellError(ValueError):
    """A cell's value is not what its column takes; the message is the reason."""


@dataclass(slots=True)
class CompetitionRow:
    row: int
    name: str
    # Competition field -> value, for the optional columns the sheet has.
    values: dict[str, Any]


@dataclass(slots=True)
class WeightRow:
    row: int
    metric: str
    weight: Decimal


@dataclass(slots=True)
class DepartmentRow:
    row: int
    name: str
    # "group" (name, "" for none), "order" and "head" (主要负责人), when their columns exist
    values: dict[str, Any]
    position: int  # place in the sheet: a new department's order when 排序 is absent


@dataclass(slots=True)
class QuotaRow:
    row: int
    department: str
    values: dict[str, Any]  # metric -> target, for the metric columns the sheet has


@dataclass(slots=True)
class ProjectRow:
    row: int
    code: str
    values: dict[str, Any]  # Project field -> value ("department" is the name)
    stages: dict[int, date | None]  # stage -> milestone date, for the date columns present
    has_errors: bool = False


@dataclass(slots=True)
class ReceiptRow:
    row: int
    code: str
    occurred_on: date
    amount: Decimal


@dataclass(slots=True)
class VisitRow:
    row: int
    occurred_on: date
    department: str
    investor_org: str
    persons: int
    host: str
    purpose: str
    project_code: str

    def key(self) -> tuple:
        """The natural key: the whole row (visits have no code of their own)."""
        return (
            self.occurred_on,
            self.department,
            self.investor_org,
            self.persons,
            self.host,
            self.purpose,
            self.project_code,
        )


@dataclass
class Ledger:
    """A workbook read into rows. `weights` is None when the optional sheet is absent."""

    competition: CompetitionRow | None = None
    weights: list[WeightRow] | None = None
    departments: list[DepartmentRow] = field(default_factory=list)
    quotas: list[QuotaRow] = field(default_factory=list)
    projects: list[ProjectRow] = field(default_factory=list)
    receipts: list[ReceiptRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    # Optional columns present per sheet: an absent column leaves stored values alone.
    columns: dict[str, frozenset[str]] = field(default_factory=dict)
    # The day no date of the workbook may be later than.
    today: date = field(default_factory=timezone.localdate)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def error(self, sheet, row, column, reason) -> None:
        self.errors.append(Issue(sheet, row, column, reason))

    def warn(self, sheet, row, column, reason) -> None:
        self.warnings.append(Issue(sheet, row, column, reason))


# ---------------------------------------------------------------- cell parsers


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any, *, max_length: int | None = None) -> str:
    if isinstance(value, bool):
        text = schema.YES if value else schema.NO
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a code typed as a number: 1001, not 1001.0
    elif isinstance(value, datetime):
        text = value.date().isoformat()
    else:
        text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise CellError(_("不能超过%(n)d个字符。") % {"n": max_length})
    return text


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value: Any) -> date:
    """An Excel date, or text written YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _ISO_DATE.match(value.strip())
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
    raise CellError(
        _("“%(value)s”不是日期，应为Excel日期或YYYY-MM-DD格式的文字。") % {"value": value}
    )


def past_date(today: date) -> Callable[[Any], date]:
    """A parser of the date a thing happened on: never later than `today` (one today for
    a whole workbook, read once: asking for it per cell was a tenth of the reading)."""

    def parse(value: Any) -> date:
        day = parse_date(value)
        if day > today:
            raise CellError(_("日期（%(d)s）不能晚于今天。") % {"d": day})
        return day

    return parse


def parse_decimal(
    value: Any, *, places: int, max_digits: int, minimum: Decimal | None = None, positive=False
) -> Decimal:
    """A number as Decimal (floats go through str(): 0.1 stays 0.1), with the field's limits."""
    if isinstance(value, bool):
        raise CellError(_("“%(value)s”不是数字。") % {"value": value})
    if isinstance(value, int | float):
        text = str(value)
    else:
        text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s”不是数字。") % {"value": value}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s”不是数字。") % {"value": value})
    if positive and number <= 0:
        raise CellError(_("必须大于0（现为%(n)s）。") % {"n": number})
    if minimum is not None and number < minimum:
        raise CellError(_("不能小于%(min)s（现为%(n)s）。") % {"min": minimum, "n": number})
    # The size first: quantizing a number past the context's 28 digits raises.
    if abs(number) >= Decimal(10) ** (max_digits - places):
        raise CellError(_("数值过大。"))
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellError(_("最多%(n)d位小数。") % {"n": places})
    return number.quantize(Decimal(1).scaleb(-places))


def parse_int(value: Any, *, minimum: int = 0) -> int:
    number = parse_decimal(value, places=6, max_digits=16)
    if number != number.to_integral_value():
        raise CellError(_("必须是整数（现为%(n)s）。") % {"n": value})
    if number < minimum:
        raise CellError(_("不能小于%(min)d（现为%(n)s）。") % {"min": minimum, "n": int(number)})
    if number > MAX_INT:
        raise CellError(_("数值过大。"))
    return int(number)


def parse_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text == schema.YES:
        return True
    if text == schema.NO:
        return False
    raise CellError(_("应填“是”或“否”（现为“%(v)s”）。") % {"v": text})


def parse_label(labels: dict[str, str], what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        if text not in labels:
            raise CellError(
                _("未知的%(what)s“%(v)s”，应为：%(choices)s。")
                % {"what": what, "v": text, "choices": "、".join(labels)}
            )
        return labels[text]

    return parse


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def text_of(model, name: str) -> Callable[[Any], str]:
    limit = _length(model, name)
    return lambda value: parse_text(value, max_length=limit)


def project_code(value: Any) -> str:
    """A project code as the forms take it (projects.models.validate_code): letters,
    digits and hyphens, at most 20 characters; `<script>` and the like are refused."""
    code = parse_text(value, max_length=_length(Project, "code"))
    if code:
        try:
            validate_code(code)
        except ValidationError as e:
            raise CellError(e.messages[0]) from None
    return code


def money(value: Any) -> Decimal:
    return parse_decimal(value, places=2, max_digits=14, minimum=Decimal(0))


def ratio(value: Any) -> Decimal:
    return parse_decimal(value, places=4, max_digits=6, minimum=Decimal(0))


# ---------------------------------------------------------------- rows


class _Row:
    """One data row of a sheet; reading a cell records an Issue when the value is bad."""

    def __init__(self, ledger: Ledger, sheet: str, number: int, cells: dict[str, Any]):
        self.ledger, self.sheet, self.number, self.cells = ledger, sheet, number, cells
        self.has_errors = False

    def has(self, column: str) -> bool:
        return column in self.cells

    def error(self, column: str | None, reason: str) -> None:
        self.has_errors = True
        self.ledger.error(self.sheet, self.number, column, reason)

    def get(self, column: str, parse: Callable[[Any], Any], *, required=False, default=None):
        raw = self.cells.get(column)
        if _blank(raw):
            if required:
                self.error(column, _("必填，不能为空。"))
            return default
        try:
            return parse(raw)
        except CellError as e:
            self.error(column, str(e))
            return None


def _sheet_rows(ledger: Ledger, workbook, spec: schema.Sheet) -> Iterator[_Row] | None:
    """The sheet's non-blank data rows keyed by header; None when the sheet cannot be read."""
    if spec.name not in workbook.sheetnames:
        if not spec.optional_sheet:
            ledger.error(spec.name, None, None, _("缺少工作表“%(s)s”。") % {"s": spec.name})
        return None
    worksheet = workbook[spec.name]
    if hasattr(worksheet, "reset_dimensions"):
        # Some programs write wrong dimensions; read every row the file really has.
        worksheet.reset_dimensions()
    rows = worksheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        if _blank(value):
            continue
        name = str(value).strip()
        if name not in spec.columns:
            ledger.warn(spec.name, 1, name, _("未知的列，已忽略。"))
        elif name in positions:
            ledger.error(spec.name, 1, name, _("列名重复。"))
        else:
            positions[name] = index
    missing = [c for c in spec.columns if c in spec.required and c not in positions]
    for column in missing:
        ledger.error(spec.name, 1, column, _("缺少必填列“%(c)s”。") % {"c": column})
    if missing:
        return None
    ledger.columns[spec.name] = frozenset(positions)

    limit = settings.LEDGER_MAX_ROWS

    def generate() -> Iterator[_Row]:
        for number, values in enumerate(rows, start=2):
            if number > limit + 1:  # the header is row 1
                # Counted on the rows the file has, blank ones too: reading stops here,
                # whatever follows (a million-row sheet took minutes and gigabytes).
                ledger.error(
                    spec.name,
                    None,
                    None,
                    _("超过每个工作表%(n)s行的上限，已停止读取；请拆分后分批导入。")
                    % {"n": f"{limit:,}"},
                )
                return
            cells = {
                name: (values[index] if index < len(values) else None)
                for name, index in positions.items()
            }
            if all(_blank(v) for v in cells.values()):
                continue
            yield _Row(ledger, spec.name, number, cells)

    return generate()


def _read_competition(ledger: Ledger, rows: Iterator[_Row]) -> None:
    for row in rows:
        if ledger.competition is not None:
            row.error(None, _("竞赛表只能有一行数据。"))
            continue
        name = row.get("名称", text_of(Competition, "name"), required=True)
        start = row.get("开始日期", parse_date, required=True)
        end = row.get("结束日期", parse_date, required=True)
        if start and end and end < start:
            row.error("结束日期", _("结束日期不能早于开始日期。"))
        values: dict[str, Any] = {"start_date": start, "end_date": end}
        if row.has("黄牌线"):
            values["yellow_threshold"] = row.get("黄牌线", _yellow, default=Decimal("0.70"))
        if row.has("封顶"):
            values["cap"] = row.get("封顶", _cap, default=Decimal("1.5"))
        if row.has("计入待核实"):
            values["count_pending"] = row.get("计入待核实", parse_yes_no, default=False)
        ledger.competition = CompetitionRow(row.number, name or "", values)
    if ledger.competition is None:
        ledger.error(schema.COMPETITION, None, None, _("竞赛表没有数据行。"))


def _yellow(value: Any) -> Decimal:
    number = ratio(value)
    if number > 10:
        raise CellError(_("黄牌线不能大于10。"))
    return number


def _cap(value: Any) -> Decimal:
    number = ratio(value)
    if number <= 0:
        raise CellError(_("封顶必须大于0。"))
    return number


def _weight(value: Any) -> Decimal:
    field = MetricWeight._meta.get_field("weight")
    return parse_decimal(
        value, places=field.decimal_places, max_digits=field.max_digits, minimum=Decimal(0)
    )


def _read_weights(ledger: Ledger, rows: Iterator[_Row]) -> None:
    ledger.weights = []
    seen: dict[str, int] = {}
    for row in rows:
        metric = row.get("指标", parse_label(schema.METRIC_BY_LABEL, _("指标")), required=True)
        weight = row.get("权重", _weight, required=True)
        if metric in seen:
            row.error("指标", _("指标重复（已在第%(r)d行）。") % {"r": seen[metric]})
            continue
        if metric is not None:
            seen[metric] = row.number
        if metric is not None and weight is not None:
            ledger.weights.append(WeightRow(row.number, metric, weight))


def _read_departments(ledger: Ledger, rows: Iterator[_Row]) -> None:
    seen: dict[str, int] = {}
    for position, row in enumerate(rows, start=1):
        name = row.get("部门名称", text_of(Department, "name"), required=True)
        values: dict[str, Any] = {}
        if row.has("分组"):
            values["group"] = row.get("分组", text_of(DepartmentGroup, "name"), default="")
        if row.has("排序"):
            # A blank order is the row's place in the sheet: the sheet is the display order.
            values["order"] = row.get("排序", parse_int, default=position)
        if row.has("主要负责人"):
            values["head"] = row.get("主要负责人", text_of(Department, "head"), default="")
        if not name:
            continue
        if name in seen:
            row.error("部门名称", _("部门重复（已在第%(r)d行）。") % {"r": seen[name]})
            continue
        seen[name] = row.number
        ledger.departments.append(DepartmentRow(row.number, name, values, position))


def _known_department(row: _Row, column: str, names: set[str]) -> str | None:
    name = row.get(column, parse_text, required=True)
    if name and name not in names:
        row.error(column, _("未知部门“%(d)s”：不在“部门”表中。") % {"d": name})
        return None
    return name


def _read_quotas(ledger: Ledger, rows: Iterator[_Row], departments: set[str]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        name = _known_department(row, "部门名称", departments)
        values: dict[str, Any] = {}
        for metric, label in schema.METRIC_LABELS.items():
            if row.has(label):
                parse = money if metric == "funds_amount" else parse_int
                values[metric] = row.get(label, parse, default=parse(0))
        if name is None:
            continue
        if name in seen:
            row.error("部门名称", _("该部门的任务重复（已在第%(r)d行）。") % {"r": seen[name]})
            continue
        seen[name] = row.number
        ledger.quotas.append(QuotaRow(row.number, name, values))


def _project_parsers(today: date) -> dict[str, Callable[[Any], Any]]:
    return {
        "项目名称": text_of(Project, "name"),
        "责任部门": parse_text,
        "投资方": text_of(Project, "investor"),
        "责任人": text_of(Project, "responsible_person"),
        "行业": parse_label(schema.INDUSTRY_BY_LABEL, _("行业")),
        "高新技术": parse_yes_no,
        "计划总投资": money,
        "注册资本": money,
        "落户区域": text_of(Project, "zone"),
        "来源地": text_of(Project, "origin_region"),
        "信息来源": parse_label(schema.SOURCE_CHANNEL_BY_LABEL, _("信息来源")),
        "流失日期": past_date(today),
        "流失原因": parse_text,
    }


# What a blank cell of a present column sets the field to.
PROJECT_BLANK = {
    "industry": "other",
    "is_high_tech": False,
    "planned_investment": None,
    "registered_capital": None,
    "lost_on": None,
    "source_channel": "",
}


def _read_projects(ledger: Ledger, rows: Iterator[_Row], departments: set[str]) -> None:
    parsers = _project_parsers(ledger.today)
    stage_date = past_date(ledger.today)
    seen: dict[str, int] = {}
    for row in rows:
        code = row.get("项目编号", project_code, required=True)
        values: dict[str, Any] = {}
        for column, field_name in schema.PROJECT_FIELD_COLUMNS.items():
            if not row.has(column):
                continue
            if field_name == "department":
                values[field_name] = _known_department(row, column, departments)
            else:
                default = PROJECT_BLANK.get(field_name, "")
                values[field_name] = row.get(
                    column, parsers[column], required=column == "项目名称", default=default
                )
        stages = {
            stage: row.get(column, stage_date)
            for column, stage in schema.STAGE_COLUMNS.items()
            if row.has(column)
        }
        if not code:
            continue
        if code in seen:
            row.error(
                "项目编号",
                _("项目编号“%(c)s”重复（已在第%(r)d行）。") % {"c": code, "r": seen[code]},
            )
            continue
        seen[code] = row.number
        ledger.projects.append(ProjectRow(row.number, code, values, stages, row.has_errors))


def _read_receipts(ledger: Ledger, rows: Iterator[_Row], codes: set[str]) -> None:
    day = past_date(ledger.today)
    for row in rows:
        code = row.get("项目编号", parse_text, required=True)
        if code and code not in codes:
            row.error("项目编号", _("未知项目编号“%(c)s”：不在“项目”表中。") % {"c": code})
        occurred_on = row.get("到账日期", day, required=True)
        amount = row.get("金额", _receipt_amount, required=True)
        if not row.has_errors:
            ledger.receipts.append(ReceiptRow(row.number, code, occurred_on, amount))


def _receipt_amount(value: Any) -> Decimal:
    return parse_decimal(value, places=2, max_digits=14, positive=True)


def _read_visits(ledger: Ledger, rows: Iterator[_Row], departments: set[str]) -> None:
    day = past_date(ledger.today)
    org_text, host_text = text_of(Visit, "investor_org"), text_of(Visit, "host")
    purpose_text = text_of(Visit, "purpose")
    for row in rows:
        occurred_on = row.get("接待日期", day, required=True)
        department = _known_department(row, "接待部门", departments)
        org = row.get("客商单位", org_text, required=True)
        persons = row.get("人数", _persons, required=True)
        host = row.get("接待领导", host_text, default="")
        purpose = row.get("事由", purpose_text, default="")
        code = row.get("项目编号", parse_text, default="")
        if not row.has_errors:
            ledger.visits.append(
                VisitRow(row.number, occurred_on, department, org, persons, host, purpose, code)
            )


def _persons(value: Any) -> int:
    """Persons in one visit batch: at least 1, at most settings.VISIT_MAX_PERSONS (the
    entry form's bound: more is a typing error, and would be counted at once)."""
    persons = parse_int(value, minimum=1)
    if persons > settings.VISIT_MAX_PERSONS:
        raise CellError(
            _("每批接待不能超过%(max)d人（现为%(n)d），请核对人数。")
            % {"max": settings.VISIT_MAX_PERSONS, "n": persons}
        )
    return persons


def open_workbook(source: str | IO[bytes]):
    """Open `source` read-only, or raise LedgerFileError with a reason users understand."""
    import openpyxl

    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError:
        raise LedgerFileError(_("找不到文件。")) from None
    except Exception as e:
        # openpyxl raises many kinds on garbage (BadZipFile, InvalidFileException, KeyError…).
        raise LedgerFileError(
            _("文件不是有效的Excel工作簿（.xlsx）。旧版.xls文件请先在Excel中另存为.xlsx。")
        ) from e


def read_ledger(source: str | IO[bytes]) -> Ledger:
    """Read and check a ledger workbook. Raises LedgerFileError when it is not a workbook."""
    workbook = open_workbook(source)
    ledger = Ledger()
    try:
        for name in workbook.sheetnames:
            if name not in schema.SHEET_BY_NAME:
                ledger.warn(name, None, None, _("未知的工作表，已忽略。"))
        specs = schema.SHEET_BY_NAME

        def rows(sheet: str) -> Iterator[_Row]:
            return _sheet_rows(ledger, workbook, specs[sheet]) or iter(())

        _read_competition(ledger, rows(schema.COMPETITION))
        weight_rows = _sheet_rows(ledger, workbook, specs[schema.WEIGHTS])
        if weight_rows is not None:
            _read_weights(ledger, weight_rows)
        _read_departments(ledger, rows(schema.DEPARTMENTS))
        departments = {d.name for d in ledger.departments}
        _read_quotas(ledger, rows(schema.QUOTAS), departments)
        _read_projects(ledger, rows(schema.PROJECTS), departments)
        codes = {p.code for p in ledger.projects}
        _read_receipts(ledger, rows(schema.RECEIPTS), codes)
        _read_visits(ledger, rows(schema.VISITS), departments)
    except (zipfile.BadZipFile, OSError, EOFError, SyntaxError) as e:
        # A corrupt sheet inside an otherwise readable zip (SyntaxError: bad XML).
        raise LedgerFileError(_("工作簿内容损坏，无法读取。")) from e
    finally:
        workbook.close()
    return ledger
