"""Dates typed by users: one parser and one form field for every view.

Python's calendar runs from 0001-01-01 to 9999-12-31, and a page that steps a week back
from the first or a day on from the last raises OverflowError. No date this app handles
is anywhere near those ends: competitions, records and logs all fall in this century. So
every date read from a request is bounded to `EARLIEST`..`LATEST`, and a date outside
gets a clear message next to its field instead of a server error.
"""

from datetime import date

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField, RangeField

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)

OUT_OF_RANGE = _("日期须在%(earliest)s至%(latest)s之间。")
MALFORMED = _("请输入有效的日期（格式：2026-05-20）。")


def check_in_range(value: date) -> date:
    """`value` if it lies within EARLIEST..LATEST, else a ValidationError saying so."""
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(
            OUT_OF_RANGE,
            code="date_out_of_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return value


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD, within EARLIEST..LATEST; ValidationError otherwise."""
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(MALFORMED, code="invalid") from None
    return check_in_range(value)


def clamp(value: date, *, earliest: date, latest: date) -> date:
    """`value` moved into `earliest`..`latest` (an as-of date into a window, say)."""
    return max(earliest, min(value, latest))


class DateInput(forms.DateInput):
    """An HTML date picker showing ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A DateField that refuses dates outside EARLIEST..LATEST with a message."""

    widget = DateInput
    default_error_messages = {"invalid": MALFORMED}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("min", EARLIEST.isoformat())
        self.widget.attrs.setdefault("max", LATEST.isoformat())

    def to_python(self, value):
        result = super().to_python(value)
        return None if result is None else check_in_range(result)


class BoundedDateRangeField(DateRangeField):
    """django-filter's date range field ("from"/"to") with a BoundedDateField at each end."""

    def __init__(self, *args, **kwargs):
        RangeField.__init__(self, (BoundedDateField(), BoundedDateField()), *args, **kwargs)


class BoundedDateFilter(django_filters.DateFilter):
    """A django-filter date filter that refuses dates outside EARLIEST..LATEST."""

    field_class = BoundedDateField


class BoundedDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    """A django-filter date range filter that refuses dates outside EARLIEST..LATEST."""

    field_class = BoundedDateRangeField
