"""补录: a record typed in more than LATE_ENTRY_DAYS days after it happened."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from projects.lateness import is_late_entry, late_entry_q
from tests.conftest import make_visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def typed(y, m, d, hour=10):
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("created_at", "late"),
    [
        (typed(2026, 3, 1), False),  # the same day
        (typed(2026, 3, 8, 23), False),  # exactly seven days later: still on time
        (typed(2026, 3, 9, 0), True),  # the eighth day, just after midnight in 大丰
    ],
)
def test_the_rule_counts_local_calendar_days(settings, created_at, late):
    settings.LATE_ENTRY_DAYS = 7
    assert is_late_entry(occurred_on=date(2026, 3, 1), created_at=created_at) is late


def test_the_setting_moves_the_line(settings):
    settings.LATE_ENTRY_DAYS = 0
    assert is_late_entry(occurred_on=date(2026, 3, 1), created_at=typed(2026, 3, 2))
    assert not is_late_entry(occurred_on=date(2026, 3, 1), created_at=typed(2026, 3, 1))


def test_the_query_agrees_with_the_function(settings, commerce):
    from projects.models import Visit

    settings.LATE_ENTRY_DAYS = 7
    cases = {
        "on time": typed(2026, 3, 1),
        "last day": typed(2026, 3, 8, 23),
        # 00:30 in 大丰 is still the previous day in UTC: the local day decides.
        "after midnight": typed(2026, 3, 9, 0),
        "weeks later": typed(2026, 4, 1),
    }
    for org, created_at in cases.items():
        visit = make_visit(commerce, date(2026, 3, 1), investor_org=org)
        Visit.objects.filter(pk=visit.pk).update(created_at=created_at)

    late = set(Visit.objects.filter(late_entry_q()).values_list("investor_org", flat=True))

    assert late == {"after midnight", "weeks later"}
    for visit in Visit.objects.all():
        expected = is_late_entry(occurred_on=visit.occurred_on, created_at=visit.created_at)
        assert (visit.investor_org in late) is expected
