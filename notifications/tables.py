"""The notifications list (django-tables2): newest first, unread marked, linked when the
stored link is a page of this site."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from web.redirects import is_local_path
from web.tables import TimeColumn


class NotificationTable(tables.Table):
    created_at = TimeColumn(verbose_name=_("时间"))
    kind = tables.Column(verbose_name=_("类型"))
    title = tables.Column(verbose_name=_("内容"), orderable=False)
    read_at = tables.Column(verbose_name=_("状态"), empty_values=())
    actions = tables.TemplateColumn(
        template_name="notifications/_actions.html",
        verbose_name=_("操作"),
        orderable=False,
    )

    class Meta:
        attrs = {"class": "table data-table notification-table"}
        row_attrs = {"class": lambda record: "" if record.is_read else "row-unread"}
        order_by = ("-created_at",)
        empty_text = _("没有通知。")

    def render_title(self, record):
        # The caller gave the link; only a path of this site becomes one.
        if record.url and is_local_path(record.url):
            title = format_html('<a href="{}">{}</a>', record.url, record.title)
        else:
            title = format_html("{}", record.title)
        if record.body:
            return format_html(
                '{}<details class="notification-body"><summary>{}</summary><pre>{}</pre></details>',
                title,
                _("详情"),
                record.body,
            )
        return title

    def render_read_at(self, record):
        if record.is_read:
            return _("已读")
        return format_html('<span class="badge badge-unread">{}</span>', _("未读"))
