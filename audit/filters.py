"""The security event log's filters (django-filter)."""

from datetime import datetime, time, timedelta
from ipaddress import ip_address

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import SecurityEvent
from web.dates import BoundedDateFilter, DateInput


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class SecurityEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("事件"), choices=SecurityEvent.Kind.choices, empty_label=_("全部")
    )
    username = django_filters.CharFilter(label=_("用户名"), lookup_expr="icontains")
    address = django_filters.CharFilter(label=_("IP地址"), method="filter_address")
    date_from = BoundedDateFilter(label=_("起始日期"), method="filter_from", widget=DateInput())
    date_to = BoundedDateFilter(label=_("截止日期"), method="filter_to", widget=DateInput())

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "address", "date_from", "date_to"]

    def filter_address(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        try:
            return queryset.filter(address=str(ip_address(value)))
        except ValueError:  # not an address: nothing matches (PostgreSQL would refuse it)
            return queryset.none()

    def filter_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_day_start(value + timedelta(days=1)))
