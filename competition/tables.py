"""django-tables2 tables of the league."""

from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from competition import charts
from competition.cards import rectification_state, state_label
from competition.league.rows import HEADERS, league_row, plain_decimal
from competition.models import Metric

SHOWN_METRICS = [
    Metric.VISIT_BATCHES,
    Metric.VISITORS,
    Metric.INTENT_PROJECTS,
    Metric.SIGNED_PROJECTS,
    Metric.FUNDED_PROJECTS,
    Metric.FUNDS_AMOUNT,
    Metric.GROUNDBREAKING_PROJECTS,
]


class MetricColumn(tables.Column):
    """actual / target, and the timeline ratio below it when the metric is scored."""

    def __init__(self, metric, **kwargs):
        self.metric = metric
        super().__init__(
            accessor="actuals",
            footer=lambda table: plain_decimal(
                sum((row.actuals[metric] for row in table.data), Decimal(0))
            ),
            verbose_name=Metric(metric).label,
            orderable=False,
            attrs={"td": {"class": "num"}, "th": {"class": "num"}},
            **kwargs,
        )

    def render(self, value, record):
        actual = plain_decimal(record.actuals[self.metric])
        target = plain_decimal(record.targets[self.metric])
        ratio = record.ratios.get(self.metric)
        if ratio is None:
            return format_html("{} / {}", actual, target)
        percent = charts.percent(ratio)
        return format_html(
            '{} / {}<br><span class="ratio{}">{}</span>',
            actual,
            target,
            " ratio-low" if float(ratio) < 1 else "",
            percent,
        )


class LeagueTable(tables.Table):
    """The league page: one row per department (a scoring.DepartmentResult of the League
    the page shows), in rank order; sorted and filtered in Python, as a list."""

    rank = tables.Column(verbose_name=_("排名"), attrs={"td": {"class": "num"}})
    change = tables.Column(
        verbose_name=_("较上周"), accessor="rank", orderable=False, empty_values=()
    )
    department_name = tables.Column(verbose_name=_("部门"), footer=_("合计"))
    group_name = tables.Column(verbose_name=_("分组"))
    group_rank = tables.Column(verbose_name=_("组内排名"), attrs={"td": {"class": "num"}})
    score = tables.Column(verbose_name=_("得分"), attrs={"td": {"class": "num"}})
    flags = tables.Column(verbose_name=_("警示"), accessor="rank", orderable=False, empty_values=())

    class Meta:
        order_by = ("rank",)
        attrs = {"class": "table league-table"}
        empty_text = _("没有参赛部门。")

    def __init__(self, rows, *, competition_id, as_of, previous_ranks=None, **kwargs):
        extra = [(m, MetricColumn(m)) for m in SHOWN_METRICS]
        sequence = [
            "rank", "change", "department_name", "group_name", "group_rank",
            *SHOWN_METRICS, "score", "flags",
        ]  # fmt: skip
        super().__init__(list(rows), extra_columns=extra, sequence=sequence, **kwargs)
        self.competition_id, self.as_of = competition_id, as_of
        self.previous_ranks = previous_ranks or {}

    def render_change(self, record):
        before = self.previous_ranks.get(record.department_id)
        if before is None:
            return "—"
        if before > record.rank:
            return format_html(
                '<span class="up" title="{}">↑{}</span>', _("上升"), before - record.rank
            )
        if before < record.rank:
            return format_html(
                '<span class="down" title="{}">↓{}</span>', _("下降"), record.rank - before
            )
        return format_html('<span class="same">{}</span>', _("持平"))

    def render_department_name(self, value, record):
        url = reverse("league_explain", args=[self.competition_id, record.department_id])
        return format_html('<a href="{}?as_of={}">{}</a>', url, self.as_of.isoformat(), value)

    def render_group_rank(self, value):
        return value if value is not None else "—"

    def render_score(self, value, record):
        # One form wherever people read a score: a percentage with one decimal.
        return charts.percent(value) if record.scored else "—"

    def render_flags(self, record):
        badges = [
            (css, label)
            for css, label, on in (
                ("flag-yellow", _("黄牌"), record.yellow_card),
                ("flag-zero", _("无实绩"), record.zero_result),
            )
            if on
        ]
        return format_html_join(" ", '<span class="flag {}">{}</span>', badges)


class LeagueExportTable(tables.Table):
    """Exactly the `league --format csv` columns and rows (LEDGER.md)."""

    class Meta:
        orderable = False

    def __init__(self, results, **kwargs):
        rows = [dict(zip(HEADERS, league_row(r), strict=True)) for r in results]
        columns = [(h, tables.Column(verbose_name=h, accessor=tables.A(h))) for h in HEADERS]
        super().__init__(rows, extra_columns=columns, **kwargs)


class CountedProjectTable(tables.Table):
    code = tables.Column(verbose_name=_("项目编号"))
    name = tables.Column(verbose_name=_("项目名称"))
    investor = tables.Column(verbose_name=_("投资方"))
    responsible_person = tables.Column(verbose_name=_("责任人"))
    planned_investment = tables.Column(verbose_name=_("计划总投资(万元)"))

    class Meta:
        attrs = {"class": "table"}
        empty_text = _("没有计入的记录。")


class CountedVisitTable(tables.Table):
    occurred_on = tables.DateColumn(verbose_name=_("接待日期"), format="Y-m-d")
    investor_org = tables.Column(verbose_name=_("客商单位"))
    persons = tables.Column(verbose_name=_("人数"))
    host = tables.Column(verbose_name=_("接待领导"))
    purpose = tables.Column(verbose_name=_("事由"))

    class Meta:
        attrs = {"class": "table"}
        empty_text = _("没有计入的记录。")


class CountedReceiptTable(tables.Table):
    project = tables.Column(verbose_name=_("项目"), accessor="project__name")
    occurred_on = tables.DateColumn(verbose_name=_("到账日期"), format="Y-m-d")
    amount = tables.Column(verbose_name=_("金额(万元)"))
    status = tables.Column(verbose_name=_("核实状态"))

    class Meta:
        attrs = {"class": "table"}
        empty_text = _("没有计入的记录。")


def counted_records_table(competition, *, department, metric, as_of) -> tables.Table:
    """The table of the records behind one department's figure for `metric`."""
    from competition.scoring import rule as scoring

    if metric in (Metric.VISIT_BATCHES, Metric.VISITORS):
        visits = scoring.counted_visits(competition, department_id=department.id, as_of=as_of)
        return CountedVisitTable(visits.order_by("occurred_on", "id"))
    if metric == Metric.FUNDS_AMOUNT:
        receipts = scoring.counted_receipts(competition, department_id=department.id, as_of=as_of)
        return CountedReceiptTable(receipts.select_related("project").order_by("occurred_on", "id"))
    projects = scoring.counted_projects(
        competition, department_id=department.id, metric=metric, as_of=as_of
    )
    return CountedProjectTable(projects.order_by("code"))


# 黄牌记录 and 整改 (competition.cards) ------------------------------------------------------
class CardTable(tables.Table):
    """Yellow cards: when issued and at which bulletin, 连续N期, lifted, 整改.

    Reads the card's competition, department, bulletins and 整改 from the view's
    select_related: the same queries for any number of rows.
    """

    department = tables.Column(
        verbose_name=_("部门"), accessor="department__name", order_by="department__order"
    )
    issued_on = tables.Column(verbose_name=_("发出"), attrs={"td": {"class": "nowrap"}})
    score_at_issue = tables.Column(verbose_name=_("发出时得分"), attrs={"td": {"class": "num"}})
    consecutive_issues = tables.Column(verbose_name=_("连续期数"), attrs={"td": {"class": "num"}})
    lifted_on = tables.Column(
        verbose_name=_("撤销"), default="—", attrs={"td": {"class": "nowrap"}}
    )
    rectification_due_on = tables.Column(
        verbose_name=_("整改期限"), attrs={"td": {"class": "nowrap"}}
    )
    rectification = tables.Column(verbose_name=_("整改"), empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "table"}
        order_by = ("-issued_on",)

    def __init__(self, *args, today, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def render_department(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("card_detail", args=[record.pk]), value)

    def render_issued_on(self, value, record):
        return format_html(
            '{}<br><span class="muted small">{}</span>',
            value.isoformat(),
            _("第%(n)s期") % {"n": record.issued_report.issue_number},
        )

    def render_score_at_issue(self, value):
        return charts.percent(value)

    def render_consecutive_issues(self, value):
        return _("连续%(n)s期") % {"n": value}

    def render_lifted_on(self, value, record):
        return format_html(
            '{}<br><span class="muted small">{}</span>',
            value.isoformat(),
            _("第%(n)s期") % {"n": record.lifted_report.issue_number},
        )

    def render_rectification_due_on(self, value):
        return value.isoformat()

    def render_rectification(self, record):
        state = rectification_state(record, today=self.today)
        return format_html('<span class="badge badge-{}">{}</span>', state, state_label(state))


class RectificationQueueTable(tables.Table):
    """The office's queue of submitted 整改, oldest first."""

    department = tables.Column(verbose_name=_("部门"), accessor="card__department__name")
    issued_on = tables.Column(verbose_name=_("黄牌日期"), accessor="card__issued_on")
    consecutive = tables.Column(verbose_name=_("连续期数"), accessor="card__consecutive_issues")
    submitted_at = tables.DateTimeColumn(verbose_name=_("提交时间"), format="Y-m-d H:i")
    measures = tables.Column(verbose_name=_("整改措施"), orderable=False)
    review = tables.Column(verbose_name=_("审核"), empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "table"}
        order_by = ("submitted_at",)

    def render_issued_on(self, value):
        return value.isoformat()

    def render_consecutive(self, value):
        return _("连续%(n)s期") % {"n": value}

    def render_measures(self, value):
        return value if len(value) <= 60 else value[:60] + "…"

    def render_review(self, record):
        return format_html(
            '<a class="btn" href="{}">{}</a>',
            reverse("card_detail", args=[record.card_id]),
            _("审核"),
        )
