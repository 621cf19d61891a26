"""Tables of the list pages (django-tables2): sorting, pagination, CSV/XLSX export.

Columns marked `visible=False` are exported but not shown: the screen stays readable on a
phone, the spreadsheet has everything. Every column reads from the row or from what the
view's queryset already selected or annotated, so a page costs the same queries for 5
rows as for 500.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2 import A

from projects import policy
from projects.lateness import late_entry_days


def person_name(user) -> str:
    """A user's name as people know it (their Person), without a query when preloaded."""
    if user is None:
        return ""
    try:
        return user.person.name
    except Exception:  # no Person: a bare admin account
        return user.get_username()


class YesNoColumn(tables.BooleanColumn):
    """是 or 否 (nothing counts as 否), on the page and in the export (BooleanColumn
    exports True/False)."""

    def __init__(self, **kwargs):
        super().__init__(yesno=(_("是"), _("否")), **kwargs)

    def value(self, record, value, bound_column):
        return str(self.yesno[int(not self._get_bool_value(record, value, bound_column))])


class PersonColumn(tables.Column):
    def render(self, value):
        return person_name(value)

    def value(self, value):
        return person_name(value)


NOWRAP = {"td": {"class": "nowrap"}}


class DayColumn(tables.Column):
    """A date as YYYY-MM-DD on one line, on the page and in the export (an empty date
    shows the column's default and exports as nothing, as any column's)."""

    def __init__(self, **kwargs):
        super().__init__(attrs=NOWRAP, **kwargs)

    def render(self, value):
        return value.isoformat()


class LocalDayColumn(tables.Column):
    """The local date of a timestamp (the day something was typed in), on the page and in
    the export (a DateColumn would export the timestamp itself, in UTC)."""

    def __init__(self, **kwargs):
        super().__init__(attrs=NOWRAP, **kwargs)

    def render(self, value):
        return timezone.localdate(value).isoformat()


class EvidenceColumn(tables.Column):
    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        super().__init__(accessor="evidence", orderable=False, verbose_name=_("佐证"), **kwargs)

    def render(self, value, record):
        url = reverse("projects:evidence", args=[self.kind, record.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("查看"))

    def value(self, value):
        return _("有") if value else _("无")


class LateEntryColumn(tables.Column):
    """补录: a badge when the record was typed in more than LATE_ENTRY_DAYS days after it
    happened (projects.lateness; the row's own dates, no query); 是/否 in the export."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("补录"))
        super().__init__(accessor="pk", orderable=False, empty_values=(), **kwargs)

    def render(self, record):
        if not record.is_late_entry:
            return ""
        title = _("填报日期晚于发生日期%(n)d天以上") % {"n": late_entry_days()}
        return format_html('<span class="badge badge-late" title="{}">{}</span>', title, _("补录"))

    def value(self, record):
        return _("是") if record.is_late_entry else _("否")


class MissingEvidenceColumn(tables.Column):
    """ "缺少佐证：合同" when the office's evidence policy asks for a document the record
    lacks; reads the policies the table was given (one query for the whole page)."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="pk", orderable=False, empty_values=(), verbose_name=_("佐证要求"), **kwargs
        )

    def _missing(self, record, table) -> str:
        return policy.missing_document(record, table.policies)

    def render(self, record, table):
        missing = self._missing(record, table)
        if not missing:
            return ""
        text = _("缺少佐证：%(document)s") % {"document": missing}
        badge = format_html('<span class="badge badge-missing">{}</span>', text)
        if not getattr(table, "kind", ""):
            return badge
        # In the queue, the reason the "核实" button beside it needs (projects.forms.VerifyForm).
        return format_html(
            '{} <input type="text" name="{}-{}-without_evidence_reason" maxlength="1000" '
            'placeholder="{}" aria-label="{}" class="input-small">',
            badge,
            table.kind,
            record.pk,
            _("无佐证核实理由（必填）"),
            _("无佐证核实理由"),
        )

    def value(self, record, table):
        missing = self._missing(record, table)
        return _("缺少佐证：%(document)s") % {"document": missing} if missing else ""


class StatusColumn(tables.Column):
    """The review status as the record pages show it (a badge)."""

    def render(self, value, record):
        return format_html(
            '<span class="badge badge-{}">{}</span>', record.status, record.get_status_display()
        )

    def value(self, record):
        return record.get_status_display()


def detail_link(*accessors):
    return ("projects:detail", [A(a) for a in accessors])


class ProjectTable(tables.Table):
    code = tables.Column(attrs=NOWRAP, linkify=detail_link("pk"))
    name = tables.Column(linkify=detail_link("pk"))
    investor = tables.Column()
    department = tables.Column(
        accessor="department__name",
        order_by=("department__order", "department__name"),
        verbose_name=_("责任部门"),
    )
    responsible_person = tables.Column()
    stage_reached = tables.Column()  # shown by its label: the field has the stage choices
    last_milestone_on = DayColumn()
    industry = tables.Column()
    is_high_tech = YesNoColumn()
    planned_investment = tables.Column(attrs={"td": {"class": "num"}})
    major = YesNoColumn(verbose_name=_("重大项目"))
    reward_eligible = YesNoColumn(verbose_name=_("符合奖励"))
    zone = tables.Column()
    lost_on = DayColumn()
    # Exported only.
    registered_capital = tables.Column(visible=False)
    origin_region = tables.Column(visible=False)
    source_channel = tables.Column(visible=False)
    submitted_by = PersonColumn(visible=False)
    lost_reason = tables.Column(visible=False)

    class Meta:
        empty_text = _("没有符合条件的项目。")
        attrs = {"class": "table data-table"}
        order_by = ("department", "code")


class VisitTable(tables.Table):
    occurred_on = DayColumn()
    department = tables.Column(
        accessor="department__name",
        order_by=("department__order", "department__name"),
        verbose_name=_("接待部门"),
    )
    investor_org = tables.Column()
    persons = tables.Column(attrs={"td": {"class": "num"}})
    host = tables.Column()
    purpose = tables.Column()
    project = tables.Column(
        accessor="project__name", linkify=detail_link("project_id"), verbose_name=_("关联项目")
    )
    logged_by = PersonColumn()
    status = StatusColumn()
    late = LateEntryColumn()
    created_at = LocalDayColumn(visible=False)  # exported: the day it was typed in
    edit = tables.Column(accessor="pk", orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        empty_text = _("还没有接待记录。")
        attrs = {"class": "table data-table"}
        order_by = ("-occurred_on",)

    def __init__(self, *args, roles, **kwargs):
        self.roles = roles
        super().__init__(*args, **kwargs)

    def render_edit(self, record):
        detail = reverse("projects:visit_detail", args=[record.pk])
        links = [format_html('<a href="{}">{}</a>', detail, _("详情"))]
        if self.roles.can_write_department(record.department_id):
            url = reverse("projects:visit_edit", args=[record.pk])
            label = _("修改并重新提交") if record.status == "returned" else _("修改")
            links.append(format_html('<a href="{}">{}</a>', url, label))
        return format_html_join(" ", "{}", ((link,) for link in links))


class LeadTable(tables.Table):
    code = tables.Column(attrs=NOWRAP, linkify=detail_link("pk"))
    name = tables.Column(linkify=detail_link("pk"))
    investor = tables.Column()
    department = tables.Column(
        accessor="department__name",
        order_by=("department__order", "department__name"),
        verbose_name=_("责任部门"),
    )
    submitted_by = PersonColumn(order_by=("submitted_by__person__name",))
    source_channel = tables.Column()
    created_at = LocalDayColumn(verbose_name=_("报送日期"))
    responsible_person = tables.Column(default=_("未接手"))
    stage_reached = tables.Column()  # shown by its label: the field has the stage choices
    lost_on = DayColumn()

    class Meta:
        empty_text = _("还没有信息。")
        attrs = {"class": "table data-table"}
        order_by = ("-created_at",)


class MyLeadTable(tables.Table):
    """The submitter's own leads: what became of them, without links into department pages."""

    name = tables.Column()
    stage_reached = tables.Column()  # shown by its label: the field has the stage choices
    responsible_person = tables.Column(default=_("未接手"))
    department = tables.Column(accessor="department__name", verbose_name=_("责任部门"))
    created_at = LocalDayColumn(verbose_name=_("报送日期"))
    lost_on = DayColumn()
    lost_reason = tables.Column()
    # Exported only.
    code = tables.Column(visible=False)
    source_channel = tables.Column(visible=False)
    last_milestone_on = DayColumn(visible=False)

    class Meta:
        empty_text = _("您还没有报送过信息。")
        attrs = {"class": "table data-table"}


class QueueTable(tables.Table):
    """Pending records with a checkbox each (for bulk review) and their own buttons."""

    kind = ""
    project = tables.Column(
        accessor="project__name", linkify=detail_link("project_id"), verbose_name=_("项目")
    )
    department = tables.Column(
        accessor="project__department__name",
        order_by=("project__department__order", "project__department__name"),
        verbose_name=_("责任部门"),
    )
    occurred_on = DayColumn()
    logged_by = PersonColumn()
    created_at = LocalDayColumn()
    late = LateEntryColumn()
    missing = MissingEvidenceColumn()

    class Meta:
        attrs = {"class": "table data-table"}
        order_by = ("created_at",)
        empty_text = _("没有待核实的记录。")

    def __init__(self, *args, policies, **kwargs):
        self.policies = policies
        super().__init__(*args, **kwargs)


def queue_actions(kind: str):
    return tables.TemplateColumn(
        template_name="projects/_queue_actions.html",
        extra_context={"kind": kind},
        orderable=False,
        verbose_name=_("操作"),
        exclude_from_export=True,
    )


class QueueMilestoneTable(QueueTable):
    kind = "milestone"
    actions = queue_actions("milestone")
    milestone = tables.CheckBoxColumn(
        accessor="pk", attrs={"th__input": {"data-check-all": "milestone"}}
    )
    stage = tables.Column()
    evidence = EvidenceColumn("milestone")

    class Meta(QueueTable.Meta):
        sequence = (
            "milestone",
            "project",
            "department",
            "stage",
            "occurred_on",
            "evidence",
            "...",
            "missing",
            "actions",
        )


class QueueReceiptTable(QueueTable):
    kind = "receipt"
    actions = queue_actions("receipt")
    receipt = tables.CheckBoxColumn(
        accessor="pk", attrs={"th__input": {"data-check-all": "receipt"}}
    )
    amount = tables.Column(attrs={"td": {"class": "num"}})
    evidence = EvidenceColumn("receipt")

    class Meta(QueueTable.Meta):
        sequence = (
            "receipt",
            "project",
            "department",
            "occurred_on",
            "amount",
            "evidence",
            "...",
            "missing",
            "actions",
        )


class QueueVisitTable(QueueTable):
    kind = "visit"
    actions = queue_actions("visit")
    visit = tables.CheckBoxColumn(accessor="pk", attrs={"th__input": {"data-check-all": "visit"}})
    department = tables.Column(
        accessor="department__name",
        order_by=("department__order", "department__name"),
        verbose_name=_("接待部门"),
    )
    investor_org = tables.Column(
        linkify=("projects:visit_detail", [A("pk")]), verbose_name=_("客商单位")
    )
    persons = tables.Column(attrs={"td": {"class": "num"}}, verbose_name=_("人数"))
    evidence = EvidenceColumn("visit")

    class Meta(QueueTable.Meta):
        exclude = ("project",)
        sequence = (
            "visit",
            "department",
            "investor_org",
            "persons",
            "occurred_on",
            "evidence",
            "...",
            "missing",
            "actions",
        )


class ReturnedTable(tables.Table):
    """Returned records with the office's reason and a link to fix and resubmit."""

    kind = ""
    project = tables.Column(
        accessor="project__name", linkify=detail_link("project_id"), verbose_name=_("项目")
    )
    department = tables.Column(accessor="project__department__name", verbose_name=_("责任部门"))
    occurred_on = DayColumn()
    return_reason = tables.Column()
    reviewed_by = PersonColumn(verbose_name=_("退回人"))
    reviewed_at = LocalDayColumn(verbose_name=_("退回日期"))
    fix = tables.Column(accessor="pk", orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        attrs = {"class": "table data-table"}
        order_by = ("-reviewed_at",)
        empty_text = _("没有被退回的记录。")

    def __init__(self, *args, roles, **kwargs):
        self.roles = roles
        super().__init__(*args, **kwargs)

    def render_fix(self, record):
        if not self.roles.can_write_department(record.project.department_id):
            return ""
        url = reverse(f"projects:{self.kind}_edit", args=[record.pk])
        return format_html('<a class="btn btn-small" href="{}">{}</a>', url, _("修改并重新提交"))


class ReturnedMilestoneTable(ReturnedTable):
    kind = "milestone"
    stage = tables.Column()

    class Meta(ReturnedTable.Meta):
        sequence = ("project", "stage", "return_reason", "fix", "...")


class ReturnedReceiptTable(ReturnedTable):
    kind = "receipt"
    amount = tables.Column(attrs={"td": {"class": "num"}})

    class Meta(ReturnedTable.Meta):
        sequence = ("project", "amount", "return_reason", "fix", "...")


class DuplicateGroupTable(tables.Table):
    """The office's open possible duplicates (projects.duplicate_lookup.DuplicateGroup)."""

    reason = tables.Column(verbose_name=_("相似之处"), orderable=False)
    label = tables.Column(verbose_name=_("投资方或项目名称"))
    projects = tables.Column(verbose_name=_("项目"), orderable=False, empty_values=())
    departments = tables.Column(verbose_name=_("部门数"), attrs={"td": {"class": "num"}})
    open_pairs = tables.Column(verbose_name=_("待认定对数"), attrs={"td": {"class": "num"}})

    class Meta:
        empty_text = _("没有待认定的疑似重复项目。")
        attrs = {"class": "table data-table"}

    def render_reason(self, value):
        return _("同一投资方") if value == "investor" else _("同名项目")

    def render_projects(self, record):
        # The office and leaders read every project: each links to its page, where the
        # office decides the credit.
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{} {}</a> <span class="muted">· {}{}</span>',
            (
                (
                    reverse("projects:detail", args=[p.pk]),
                    p.code,
                    p.name,
                    p.department.name,
                    f" · {p.get_stage_reached_display()}" if p.stage_reached is not None else "",
                )
                for p in record.projects
            ),
        )


class ReturnedVisitTable(ReturnedTable):
    kind = "visit"
    department = tables.Column(accessor="department__name", verbose_name=_("接待部门"))
    investor_org = tables.Column(
        linkify=("projects:visit_detail", [A("pk")]), verbose_name=_("客商单位")
    )
    persons = tables.Column(attrs={"td": {"class": "num"}}, verbose_name=_("人数"))

    class Meta(ReturnedTable.Meta):
        exclude = ("project",)
        sequence = ("investor_org", "persons", "return_reason", "fix", "...")

    def render_fix(self, record):
        if not self.roles.can_write_department(record.department_id):
            return ""
        url = reverse("projects:visit_edit", args=[record.pk])
        return format_html('<a class="btn btn-small" href="{}">{}</a>', url, _("修改并重新提交"))
