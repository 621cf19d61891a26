"""The demo's review examples (issue 20): visits reviewed, 补录 records.

Called once by demo.loader's build, after the planned records are saved and before the
leagues are recomputed:

- every planned visit is verified by the office (as visits were counted before they were
  reviewed), so the league's visit figures stay the speech's (SPEECH_FIGURES);
- a few more visits show the flow: pending ones (not counted: the demo competition does
  not count pending records) and one returned with the office's reason;
- the demo saves every record at once, so each one's `created_at` (and its creation's
  history date) is moved to the day it happened or a day or two later, as a department
  keeping its records on time would have typed it; then a few records are made 补录 by
  dating their `created_at` more than LATE_ENTRY_DAYS after they happened (nothing
  counted moves: the league counts `occurred_on`).

Seeded, like the loader: the same records whatever day it is run.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from departments.models import Department
from projects.lateness import late_entry_days
from projects.models import Milestone, Receipt, ReviewStatus, Visit
from web.addresses import note_bulk_history

SEED = 20260420
# (department, days before today, investor, persons, purpose, status, return reason)
EXTRA_VISITS = [
    ("商务局", 1, "苏州工业园区某电子有限公司", 3, "考察标准厂房", ReviewStatus.PENDING, ""),
    ("发改委", 2, "上海某新材料科技有限公司", 2, "洽谈光伏组件项目", ReviewStatus.PENDING, ""),
    ("经信委", 0, "无锡某装备制造有限公司", 4, "考察园区配套", ReviewStatus.PENDING, ""),
    (
        "财政局",
        3,
        "南京某物流有限公司",
        2,
        "洽谈冷链仓储项目",
        ReviewStatus.RETURNED,
        "接待人数与接待单不符，请核对后重新提交。",
    ),
]
LATE_MILESTONES = 3
LATE_RECEIPTS = 1
LATE_VISITS = 3


def add_review_examples(*, today: date, departments: dict[str, Department], users: dict) -> None:
    """Verify the demo's visits, add the pending and returned ones, make a few 补录."""
    rng = random.Random(SEED)
    office = users["office1"]
    now = timezone.now()
    _verify_visits(departments, office=office, now=now)
    _extra_visits(today, departments, users, office=office, now=now)
    pools = _records(departments)
    _typed_on_time(rng, pools, now=now)
    _late_entries(rng, today, pools)


def _stamp(day: date, now: datetime) -> datetime:
    """10:00 local on `day`, never after now."""
    return min(timezone.make_aware(datetime.combine(day, time(10))), now)


def _verify_visits(departments: dict, *, office, now: datetime) -> None:
    visits = Visit.objects.filter(department__in=departments.values(), status=ReviewStatus.PENDING)
    verified = []
    for visit in visits:
        visit.status = ReviewStatus.VERIFIED
        visit.reviewed_by = office
        visit.reviewed_at = _stamp(visit.occurred_on + timedelta(days=1), now)
        verified.append(visit)
    Visit.objects.bulk_update(verified, ["status", "reviewed_by", "reviewed_at"])
    Visit.history.bulk_history_create(
        verified, update=True, default_user=office, default_change_reason="核实通过"
    )
    note_bulk_history()


def _extra_visits(today: date, departments: dict, users: dict, *, office, now: datetime) -> None:
    liaisons = {
        name: user
        for user in users.values()
        if hasattr(user, "person")
        for name in user.person.liaison_for.values_list("name", flat=True)
    }
    for name, ago, investor, persons, purpose, status, reason in EXTRA_VISITS:
        logged_by = liaisons.get(name, office)
        reviewed = {}
        if status != ReviewStatus.PENDING:
            reviewed = {"reviewed_by": office, "reviewed_at": now, "return_reason": reason}
        visit = Visit(
            department=departments[name],
            occurred_on=today - timedelta(days=ago),
            investor_org=investor,
            persons=persons,
            purpose=purpose,
            status=status,
            logged_by=logged_by,
            **reviewed,
        )
        visit.full_clean()
        visit._history_user = logged_by
        visit.save()


def _records(departments: dict) -> list[tuple[type, object, int]]:
    """The demo departments' milestones, receipts and visits, with how many to make late."""
    ids = [d.pk for d in departments.values()]
    return [
        (Milestone, Milestone.objects.filter(project__department_id__in=ids), LATE_MILESTONES),
        (Receipt, Receipt.objects.filter(project__department_id__in=ids), LATE_RECEIPTS),
        (Visit, Visit.objects.filter(department_id__in=ids), LATE_VISITS),
    ]


def _typed_on_time(rng: random.Random, pools, *, now: datetime) -> None:
    """Date every record's typing on its day or up to two days later (never after now)."""
    for model, records, _n in pools:
        rows = list(records.order_by("pk"))
        for record in rows:
            record.created_at = _stamp(record.occurred_on + timedelta(days=rng.randint(0, 2)), now)
            if record.reviewed_at is not None and record.reviewed_at < record.created_at:
                record.reviewed_at = record.created_at  # verified after it was typed in
        model.objects.bulk_update(rows, ["created_at", "reviewed_at"], batch_size=500)
        stamps = {r.pk: r.created_at for r in rows}
        created = list(model.history.filter(id__in=stamps, history_type="+"))
        for row in created:
            row.history_date = stamps[row.id]
            row.created_at = stamps[row.id]
        model.history.model.objects.bulk_update(
            created, ["history_date", "created_at"], batch_size=500
        )


def _late_entries(rng: random.Random, today: date, pools) -> None:
    """Type a few records in late: created_at some days past the deadline, before today."""
    days = late_entry_days()
    latest = today - timedelta(days=days + 2)  # room for a late day that is not in the future
    now = timezone.now()
    for model, records, n in pools:
        candidates = list(
            records.filter(occurred_on__lte=latest).order_by("pk").values_list("pk", "occurred_on")
        )
        for pk, occurred_on in rng.sample(candidates, min(n, len(candidates))):
            typed = min(occurred_on + timedelta(days=days + rng.randint(2, 12)), today)
            stamp = _stamp(typed, now)
            model.objects.filter(pk=pk).update(created_at=stamp)
            # Verified after it was typed in, not before.
            model.objects.filter(pk=pk, reviewed_at__lt=stamp).update(reviewed_at=stamp)
            # The creation's history row says when it was typed in too.
            model.history.filter(id=pk, history_type="+").update(
                history_date=stamp, created_at=stamp
            )
