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


def counted_records_table(competition, *, department, metric, as_of, basis=None) -> tables.Table:
    """The table of the records behind one department's figure for `metric`.

    `basis`: None for the league's figure (the competition's counted statuses);
    "reported" or "verified" for those figures (competition.scoring.reported); "waiting"
    for the records the reported figure counts and the verified one does not yet.
    """
    from competition.scoring import reported
    from competition.scoring import rule as scoring

    kwargs = {"department_id": department.id, "as_of": as_of}
    if metric in (Metric.VISIT_BATCHES, Metric.VISITORS):
        records, table, order = scoring.counted_visits, CountedVisitTable, ("occurred_on", "id")
    elif metric == Metric.FUNDS_AMOUNT:
        records, table, order = scoring.counted_receipts, CountedReceiptTable, ("occurred_on", "id")
    else:
        records, table, order = scoring.counted_projects, CountedProjectTable, ("code",)
        kwargs["metric"] = metric
    if basis == "waiting":
        queryset = records(competition, statuses=reported.REPORTED_STATUSES, **kwargs).exclude(
            id__in=records(competition, statuses=reported.VERIFIED_STATUSES, **kwargs).values("id")
        )
    else:
        statuses = reported.statuses_of(basis) if basis else None
        queryset = records(competition, statuses=statuses, **kwargs)
    queryset = queryset.order_by(*order)
    if table is CountedReceiptTable:
        queryset = queryset.select_related("project")
    return table(queryset)


class _FunnelCount(tables.Column):
    """A funnel count linking to the records it counts (`records_url(table, row)`)."""

    def __init__(self, *, records_url, **kwargs):
        self.records_url = records_url
        super().__init__(
            orderable=False, attrs={"td": {"class": "num"}, "th": {"class": "num"}}, **kwargs
        )

    def render(self, value, record, table):
        return format_html('<a href="{}">{}</a>', self.records_url(table, record), value)


class _FunnelRate(tables.Column):
    """A step's rate as a percentage with one decimal, "—" when there is nothing to convert."""

    def __init__(self, **kwargs):
        super().__init__(
            orderable=False,
            empty_values=(),
            attrs={"td": {"class": "num muted"}, "th": {"class": "num"}},
            **kwargs,
        )

    def render(self, value):
        return (
            "—" if value is None else charts.percent(Decimal(value.numerator) / value.denominator)
        )


def _records_link(metric):
    def link(table, row):
        url = reverse("league_records", args=[table.competition.pk, row.department_id, metric])
        return f"{url}?as_of={table.as_of.isoformat()}"

    return link


def _linked_visits_link(table, row):
    query = (
        f"department={row.department_id}&date_after={table.window.start.isoformat()}"
        f"&date_before={table.window.end.isoformat()}&has_project=true"
    )
    return f"{reverse('projects:visit_list')}?{query}"


class FunnelTable(tables.Table):
    """The dashboard's 转化率 table (competition.funnel.FunnelRow): every count links to
    the records behind it, as the league's figures do (leaders and the office read all)."""

    rank = tables.Column(verbose_name=_("排名"), orderable=False, attrs={"td": {"class": "num"}})
    department_name = tables.Column(verbose_name=_("部门"), orderable=False)
    visits = _FunnelCount(
        verbose_name=_("接待批次"), records_url=_records_link(Metric.VISIT_BATCHES)
    )
    linked_visits = _FunnelCount(verbose_name=_("促成项目的接待"), records_url=_linked_visits_link)
    linked_rate = _FunnelRate(verbose_name=_("接待促成率"))
    intent = _FunnelCount(
        verbose_name=_("意向项目"), records_url=_records_link(Metric.INTENT_PROJECTS)
    )
    intent_rate = _FunnelRate(verbose_name=_("接待→意向"))
    signed = _FunnelCount(
        verbose_name=_("签约项目"), records_url=_records_link(Metric.SIGNED_PROJECTS)
    )
    signed_rate = _FunnelRate(verbose_name=_("意向→签约"))
    funded = _FunnelCount(
        verbose_name=_("到账项目"), records_url=_records_link(Metric.FUNDED_PROJECTS)
    )
    funded_rate = _FunnelRate(verbose_name=_("签约→到账"))

    class Meta:
        attrs = {"class": "table funnel"}
        empty_text = _("没有参赛部门。")

    def __init__(self, rows, *, competition, as_of, window, **kwargs):
        super().__init__(rows, **kwargs)
        self.competition, self.as_of, self.window = competition, as_of, window


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
