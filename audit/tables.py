"""Tables (django-tables2) of the change log and the security event log.

Exports go through web.csvsafe.safe_table_export: a name typed as "=HYPERLINK(…)" is
text in the office's spreadsheet, never a formula.
"""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableData

from audit import changes as audit
from web.tables import TimeColumn


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
