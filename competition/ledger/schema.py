"""The ledger workbook's contract (LEDGER.md): sheets, headers and the labels cells use.

Labels are spelled out here rather than taken from the models' (translatable) choice
labels: the workbook's words are a file format and must not change with the language.
"""

from dataclasses import dataclass

from competition.models import Metric
from projects.models import Industry, SourceChannel, Stage


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[str, ...]  # in LEDGER.md's order; the export writes them so
    required: frozenset[str]
    optional_sheet: bool = False


COMPETITION = "竞赛"
WEIGHTS = "权重"
DEPARTMENTS = "部门"
QUOTAS = "任务"
PROJECTS = "项目"
RECEIPTS = "到账"
VISITS = "接待"

METRIC_LABELS: dict[str, str] = {
    Metric.VISIT_BATCHES: "接待批次",
    Metric.VISITORS: "接待人数",
    Metric.INTENT_PROJECTS: "意向项目",
    Metric.SIGNED_PROJECTS: "签约项目",
    Metric.FUNDED_PROJECTS: "到账项目",
    Metric.FUNDS_AMOUNT: "到账资金",
    Metric.GROUNDBREAKING_PROJECTS: "开工项目",
}
METRIC_BY_LABEL = {label: metric for metric, label in METRIC_LABELS.items()}

INDUSTRY_LABELS: dict[str, str] = {
    Industry.INDUSTRIAL: "工业",
    Industry.SERVICES: "服务业",
    Industry.AGRICULTURE: "农业",
    Industry.OTHER: "其他",
}
INDUSTRY_BY_LABEL = {label: value for value, label in INDUSTRY_LABELS.items()}

SOURCE_CHANNEL_LABELS: dict[str, str] = {
    SourceChannel.CLASSMATE: "老同学",
    SourceChannel.COMRADE: "老战友",
    SourceChannel.COLLEAGUE: "老同事",
    SourceChannel.INVESTOR_REFERRAL: "以商引商",
    SourceChannel.RESIDENT_STATION: "驻点招商",
    SourceChannel.DOOR_KNOCKING: "敲门招商",
    SourceChannel.FAIR: "展会",
    SourceChannel.INTERNET: "网络",
    SourceChannel.OTHER: "其他",
}
SOURCE_CHANNEL_BY_LABEL = {label: value for value, label in SOURCE_CHANNEL_LABELS.items()}

YES, NO = "是", "否"

# 项目 sheet: the stage milestones each date column records.
STAGE_COLUMNS: dict[str, int] = {
    "线索日期": Stage.LEAD,
    "意向日期": Stage.INTENT,
    "签约日期": Stage.SIGNED,
    "开工日期": Stage.GROUNDBREAKING,
}
COLUMN_OF_STAGE = {stage: column for column, stage in STAGE_COLUMNS.items()}

# 项目 sheet: the Project fields the other columns set.
PROJECT_FIELD_COLUMNS: dict[str, str] = {
    "项目名称": "name",
    "责任部门": "department",
    "投资方": "investor",
    "责任人": "responsible_person",
    "行业": "industry",
    "高新技术": "is_high_tech",
    "计划总投资": "planned_investment",
    "注册资本": "registered_capital",
    "落户区域": "zone",
    "来源地": "origin_region",
    "信息来源": "source_channel",
    "流失日期": "lost_on",
    "流失原因": "lost_reason",
}

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        COMPETITION,
        ("名称", "开始日期", "结束日期", "黄牌线", "封顶", "计入待核实"),
        frozenset({"名称", "开始日期", "结束日期"}),
    ),
    Sheet(WEIGHTS, ("指标", "权重"), frozenset({"指标", "权重"}), optional_sheet=True),
    # 主要负责人 (optional): the department head the printed card lists name.
    Sheet(DEPARTMENTS, ("部门名称", "分组", "排序", "主要负责人"), frozenset({"部门名称"})),
    Sheet(QUOTAS, ("部门名称", *METRIC_LABELS.values()), frozenset({"部门名称"})),
    Sheet(
        PROJECTS,
        (
            "项目编号",
            "项目名称",
            "责任部门",
            "投资方",
            "责任人",
            "行业",
            "高新技术",
            "计划总投资",
            "注册资本",
            "落户区域",
            "来源地",
            "信息来源",
            "线索日期",
            "意向日期",
            "签约日期",
            "开工日期",
            "流失日期",
            "流失原因",
        ),
        frozenset({"项目编号", "项目名称", "责任部门"}),
    ),
    Sheet(RECEIPTS, ("项目编号", "到账日期", "金额"), frozenset({"项目编号", "到账日期", "金额"})),
    Sheet(
        VISITS,
        ("接待日期", "接待部门", "客商单位", "人数", "接待领导", "事由", "项目编号"),
        frozenset({"接待日期", "接待部门", "客商单位", "人数"}),
    ),
)
SHEET_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
