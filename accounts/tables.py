"""Tables (django-tables2) of the people list, the audit log and the security event log.

Exports go through config.csvsafe.safe_table_export: a name typed as "=HYPERLINK(…)" is
text in the office's spreadsheet, never a formula.
"""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableData

from accounts import audit

NOWRAP = {"td": {"class": "nowrap"}}


def local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class TimeColumn(tables.Column):
    def __init__(self, **kwargs):
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(**kwargs)

    def render(self, value):
        return local_time(value)

    def value(self, value):
        return local_time(value)


class PeopleTable(tables.Table):
    username = tables.Column(verbose_name=_("用户名"))
    name = tables.Column(accessor="person__name", verbose_name=_("姓名"), default="—")
    department = tables.Column(
        accessor="person__department__name", verbose_name=_("所在部门"), default="—"
    )
    roles = tables.Column(accessor="pk", verbose_name=_("角色"), orderable=False, empty_values=())
    is_active = tables.BooleanColumn(verbose_name=_("状态"), yesno=(_("启用"), _("停用")))
    must_change = tables.Column(
        accessor="pk", verbose_name=_("临时密码"), orderable=False, empty_values=()
    )
    last_login = TimeColumn(verbose_name=_("最近登录"))
    actions = tables.TemplateColumn(
        template_name="accounts/_person_actions.html",
        verbose_name=_("操作"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        attrs = {"class": "table data-table"}
        order_by = ("username",)
        empty_text = _("没有符合条件的账号。")

    def _role_labels(self, user) -> list[str]:
        person = getattr(user, "person", None)
        labels = []
        if user.is_superuser or (person and person.is_office):
            labels.append(str(_("竞赛办")))
        if person and person.is_leader:
            labels.append(str(_("领导")))
        if person:
            liaison = "、".join(d.name for d in person.liaison_for.all())
            if liaison:
                labels.append(str(_("联络员（%(d)s）")) % {"d": liaison})
            if person.department_id:
                labels.append(str(_("职工")))
        return labels

    def render_roles(self, record):
        return format_html_join(
            "", '<span class="tag">{}</span> ', ((r,) for r in self._role_labels(record))
        )

    def value_roles(self, record):
        return "；".join(self._role_labels(record))

    def _must_change(self, record) -> bool:
        profile = getattr(record, "account_profile", None)
        return bool(profile and profile.must_change_password)

    def render_must_change(self, record):
        return _("未修改") if self._must_change(record) else "—"

    def value_must_change(self, record):
        return str(_("未修改")) if self._must_change(record) else ""


class SecurityEventTable(tables.Table):
    occurred_at = TimeColumn(verbose_name=_("时间"))
    kind = tables.Column(verbose_name=_("事件"))
    user = tables.Column(
        accessor="user", verbose_name=_("操作人"), default="—", order_by=("user__username",)
    )
    username = tables.Column(verbose_name=_("用户名"), default="—")
    address = tables.Column(verbose_name=_("IP地址"), default="—")
    detail = tables.Column(verbose_name=_("说明"), default="")
    user_agent = tables.Column(verbose_name=_("浏览器"), visible=False)

    class Meta:
        attrs = {"class": "table data-table"}
        order_by = ("-occurred_at",)
        empty_text = _("没有符合条件的安全事件。")

    def _user(self, value) -> str:
        try:
            return f"{value.person.name}（{value.get_username()}）"
        except Exception:
            return value.get_username()

    def render_user(self, value):
        return self._user(value)

    def value_user(self, value):
        return self._user(value) if value else ""


class AuditEntries(TableData):
    """The union of history rows, described only for the rows a page (or export) shows."""

    def __init__(self, rows):
        super().__init__(rows)
        self._count = None

    def __len__(self):
        if self._count is None:
            self._count = self.data.count()
        return self._count

    def __getitem__(self, key):
        if isinstance(key, slice):
            return audit.describe(list(self.data[key]))
        return audit.describe([self.data[key]])[0]

    def __iter__(self):
        return audit.iter_entries(self.data)

    def order_by(self, aliases):  # the list is always newest first
        pass

    @property
    def verbose_name(self):
        return _("修改记录")

    @property
    def verbose_name_plural(self):
        return _("修改记录")


class ChangesColumn(tables.Column):
    def render(self, record):
        if not record.changes:
            return "—"
        return format_html(
            '<ul class="changes">{}</ul>',
            format_html_join(
                "",
                '<li><span class="field">{}</span>：<del>{}</del> → <ins>{}</ins></li>',
                ((c.label, c.before, c.after) for c in record.changes),
            ),
        )

    def value(self, record):
        return record.changes_text


class AuditTable(tables.Table):
    when = TimeColumn(verbose_name=_("时间"))
    who = tables.Column(verbose_name=_("操作人"))
    address = tables.Column(verbose_name=_("IP地址"), default="—")
    kind = tables.Column(verbose_name=_("数据类型"))
    subject = tables.Column(verbose_name=_("记录"))
    department = tables.Column(verbose_name=_("部门"), default="—")
    action = tables.Column(verbose_name=_("操作"))
    changes = ChangesColumn(verbose_name=_("修改前 → 修改后"), accessor="changes", empty_values=())
    reason = tables.Column(verbose_name=_("说明"), default="")

    class Meta:
        attrs = {"class": "table data-table audit-table"}
        orderable = False
        empty_text = _("没有符合条件的修改记录。")
