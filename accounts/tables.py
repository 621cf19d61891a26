"""Tables (django-tables2) of the people list.

Exports go through web.csvsafe.safe_table_export: a name typed as "=HYPERLINK(…)" is
text in the office's spreadsheet, never a formula.
"""

import django_tables2 as tables
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from web.tables import NOWRAP, TimeColumn  # noqa: F401


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
