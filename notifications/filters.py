"""The notifications list's filter (django-filter): kind, and unread only."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("类型"), choices=Notification.Kind.choices, empty_label=_("全部")
    )
    unread = django_filters.BooleanFilter(
        label=_("状态"),
        field_name="read_at",
        lookup_expr="isnull",
        widget=forms.Select(choices=[("", _("全部")), ("true", _("未读")), ("false", _("已读"))]),
    )

    class Meta:
        model = Notification
        fields = ["kind", "unread"]
