"""The league's rows as LEDGER.md prints them: one format for the command, page and exports."""

from decimal import ROUND_HALF_UP, Decimal

from competition.models import Metric

HEADERS = [
    "排名",
    "部门",
    "分组",
    "组内排名",
    "接待批次",
    "接待人数",
    "意向项目",
    "签约项目",
    "到账项目",
    "到账资金",
    "开工项目",
    "得分",
    "黄牌",
    "无实绩",
]
COUNT_METRICS = [
    Metric.VISIT_BATCHES,
    Metric.VISITORS,
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
]


def plain_decimal(value) -> str:
    """3250.50 → '3250.5', 3000 → '3000': no exponent, no separators, no trailing zeros."""
    text = format(Decimal(str(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def format_score(score) -> str:
    return str(Decimal(str(score)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def league_row(result) -> list[str]:
    """One row for a scoring.DepartmentResult or a models.Snapshot (same attribute names)."""
    actuals = result.actuals
    return [
        str(result.rank),
        result.department_name,
        result.group_name or "",
        "" if result.group_rank is None else str(result.group_rank),
        *[str(int(Decimal(str(actuals[m])))) for m in COUNT_METRICS],
        plain_decimal(actuals[Metric.FUNDS_AMOUNT]),
        str(int(Decimal(str(actuals[Metric.GROUNDBREAKING_PROJECTS])))),
        format_score(result.score),
        yes_no(result.yellow_card),
        yes_no(result.zero_result),
    ]


def league_rows(results) -> list[list[str]]:
    return [league_row(r) for r in results]
