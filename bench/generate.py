"""A large competition written with bulk_create: departments, people, projects, records.

Bench data only: no history rows, and bulk_create announces nothing, so each batch of
records ends explicitly as the entry services would: the projects' stored progress is
refreshed and the competitions of these departments are marked stale, their recompute
queued after the commit (in-process when no broker is configured). The records obey the
domain's rules all the same (stage dates never go backwards, a lost project has nothing
after its loss, receipts only after signing), so the scoring engine sees realistic input.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from competition import services as competition_services
from competition.models import DEFAULT_WEIGHTS, Competition, MetricWeight, Quota
from departments.models import Department, DepartmentGroup, Person
from projects.models import (
    Industry,
    Milestone,
    Project,
    Receipt,
    ReviewStatus,
    SourceChannel,
    Stage,
    Visit,
)
from projects.progress import refresh_progress

# Default size (scale 1): the brief's "large competition".
BASE_DEPARTMENTS = 200
BASE_PROJECTS = 20_000
BASE_RECORDS = 100_000  # milestones and receipts together
BASE_VISITS = 50_000
WINDOW_DAYS = 100
BATCH = 5_000
PASSWORD = "Bench-pass-2026"  # bench users only; the database is thrown away
USER_PREFIX = "bench_"
GROUPS = ["综合经济部门", "党群部门", "社会事业部门", "垂直管理部门"]
ZONES = ["经济开发区", "港经济区", "城区", "沿海工业园"]
REGIONS = ["上海", "苏南", "浙江", "广东", "北京"]
STATUSES = [ReviewStatus.VERIFIED] * 17 + [ReviewStatus.PENDING] * 2 + [ReviewStatus.RETURNED]


@dataclass(frozen=True)
class Size:
    departments: int
    projects: int
    records: int
    visits: int

    @classmethod
    def at(cls, scale: float) -> Size:
        return cls(
            departments=max(4, round(BASE_DEPARTMENTS * scale)),
            projects=max(10, round(BASE_PROJECTS * scale)),
            records=max(50, round(BASE_RECORDS * scale)),
            visits=max(20, round(BASE_VISITS * scale)),
        )


@dataclass
class BenchData:
    """What the measurements need to find again."""

    competition_id: int
    department_ids: list[int]
    office_username: str
    leader_username: str
    liaison_usernames: list[str]  # one per department, same order as department_ids
    today: date
    counts: dict[str, int] = field(default_factory=dict)
    next_project_number: int = 1


def database_is_empty() -> bool:
    """True when no competition, department, project or user is stored."""
    return not (
        Competition.objects.exists()
        or Department.objects.exists()
        or Project.objects.exists()
        or User.objects.exists()
    )


def _bulk(model, rows: list, *, batch: int = BATCH) -> list:
    created = []
    for i in range(0, len(rows), batch):
        created.extend(model.objects.bulk_create(rows[i : i + batch]))
    return created


def _window(today: date) -> tuple[date, date]:
    """A 100-day window ending today: every day of it has happened (nightly = 100 dates)."""
    return today - timedelta(days=WINDOW_DAYS - 1), today


@transaction.atomic
def generate(*, scale: float = 1.0, seed: int = 1, today: date | None = None) -> BenchData:
    """Create one competition of `Size.at(scale)` and its people; return what was made."""
    size = Size.at(scale)
    today = today or timezone.localdate()
    start, end = _window(today)
    rng = random.Random(seed)
    stamp = rng.randrange(10**6)

    groups = _bulk(
        DepartmentGroup,
        [DepartmentGroup(name=f"{g}·{stamp}", order=i) for i, g in enumerate(GROUPS, 1)],
    )
    departments = _bulk(
        Department,
        [
            Department(name=f"基准部门{i:04d}·{stamp}", group=groups[i % len(groups)], order=i)
            for i in range(1, size.departments + 1)
        ],
    )
    competition = Competition.objects.create(
        name=f"基准竞赛·{stamp}", start_date=start, end_date=end
    )
    MetricWeight.objects.bulk_create(
        [
            MetricWeight(competition=competition, metric=m, weight=w)
            for m, w in DEFAULT_WEIGHTS.items()
        ]
    )
    # Quotas in proportion to what a department will have, so ratios spread around 1.
    per_dept = size.projects / size.departments
    _bulk(
        Quota,
        [
            Quota(
                competition=competition,
                department=d,
                visit_batches=max(1, round(size.visits / size.departments * rng.uniform(0.7, 1.4))),
                visitors=max(1, round(size.visits * 3 / size.departments)),
                intent_projects=max(1, round(per_dept * 0.7 * rng.uniform(0.6, 1.5))),
                signed_projects=max(1, round(per_dept * 0.5 * rng.uniform(0.6, 1.5))),
                funded_projects=max(1, round(per_dept * 0.3 * rng.uniform(0.6, 1.5))),
                funds_amount=Decimal(round(per_dept * 2000 * rng.uniform(0.6, 1.5))),
                groundbreaking_projects=max(1, round(per_dept * 0.2 * rng.uniform(0.6, 1.5))),
            )
            for d in departments
        ],
    )

    password = make_password(PASSWORD)  # hashed once: every bench user shares it
    names = [f"{USER_PREFIX}office_{stamp}", f"{USER_PREFIX}leader_{stamp}"] + [
        f"{USER_PREFIX}liaison_{i:04d}_{stamp}" for i in range(1, size.departments + 1)
    ]
    users = _bulk(User, [User(username=n, password=password) for n in names])
    people = _bulk(
        Person,
        [
            Person(user=users[0], name="竞赛办基准", is_office=True),
            Person(user=users[1], name="领导基准", is_leader=True),
        ]
        + [
            Person(user=u, name=f"联络员{i:04d}", department=d)
            for i, (u, d) in enumerate(zip(users[2:], departments, strict=True), 1)
        ],
    )
    _bulk(
        Person.liaison_for.through,
        [
            Person.liaison_for.through(person_id=p.id, department_id=d.id)
            for p, d in zip(people[2:], departments, strict=True)
        ],
    )
    data = BenchData(
        competition_id=competition.id,
        department_ids=[d.id for d in departments],
        office_username=names[0],
        leader_username=names[1],
        liaison_usernames=names[2:],
        today=today,
    )
    add_records(data, projects=size.projects, records=size.records, visits=size.visits, seed=seed)
    return data


def _status(rng: random.Random) -> str:
    return rng.choice(STATUSES)


def _after(rng: random.Random, day: date, today: date, *, spread: int = 20) -> date:
    return min(today, day + timedelta(days=rng.randint(0, spread)))


@transaction.atomic
def add_records(data: BenchData, *, projects: int, records: int, visits: int, seed: int) -> None:
    """Add projects with `records` milestones and receipts in all, and `visits` visits.

    Called again with the same departments, it grows the data (the linearity runs).
    """
    rng = random.Random(seed * 7919 + data.next_project_number)
    today = data.today
    start, _ = _window(today)
    user_ids = dict(
        User.objects.filter(username__in=data.liaison_usernames).values_list("username", "id")
    )
    liaison_of = {
        d: user_ids[u] for d, u in zip(data.department_ids, data.liaison_usernames, strict=True)
    }

    # Projects: plans first (stages and dates), rows after.
    plans = []
    for n in range(data.next_project_number, data.next_project_number + projects):
        department_id = rng.choice(data.department_ids)
        # A tenth of the leads came before the window: they can still reach stages inside it.
        lead = start + timedelta(days=rng.randint(-20, WINDOW_DAYS - 1))
        stages = {Stage.LEAD: lead}
        if rng.random() < 0.8:
            stages[Stage.INTENT] = _after(rng, lead, today)
            if rng.random() < 0.75:
                stages[Stage.SIGNED] = _after(rng, stages[Stage.INTENT], today)
                if rng.random() < 0.6:
                    stages[Stage.FUNDED] = _after(rng, stages[Stage.SIGNED], today)
                    if rng.random() < 0.6:
                        stages[Stage.GROUNDBREAKING] = _after(rng, stages[Stage.FUNDED], today)
        plans.append((n, department_id, stages))
    data.next_project_number += projects

    project_rows = []
    for n, department_id, stages in plans:
        last = max(stages.values())
        lost = rng.random() < 0.03
        project_rows.append(
            Project(
                code=f"BX-{n:07d}",
                name=f"基准项目{n}",
                investor=f"投资方{n % 997}",
                department_id=department_id,
                responsible_person=f"责任人{n % 211}",
                industry=rng.choice(Industry.values),
                is_high_tech=rng.random() < 0.2,
                # Mostly small projects, few major ones (≥ 5000万元: about 4%), as the
                # speech complains ("小项目多大项目少").
                planned_investment=Decimal(round(10 ** rng.uniform(1.5, 3.8))),
                registered_capital=Decimal(rng.randint(50, 5000)),
                zone=rng.choice(ZONES),
                origin_region=rng.choice(REGIONS),
                source_channel=rng.choice(SourceChannel.values),
                lost_on=_after(rng, last, today, spread=10) if lost else None,
                lost_reason="基准：客商另选他处" if lost else "",
            )
        )
        project_rows[-1].set_match_keys()  # bulk_create skips save()
    created = _bulk(Project, project_rows)

    milestone_rows = []
    funded = []
    for project, (_, department_id, stages) in zip(created, plans, strict=True):
        for stage, day in stages.items():
            if stage == Stage.FUNDED:
                funded.append((project, department_id, day))
                continue
            milestone_rows.append(
                Milestone(
                    project_id=project.id,
                    stage=stage,
                    occurred_on=day,
                    status=_status(rng),
                    logged_by_id=liaison_of[department_id],
                )
            )
    # Receipts fill the rest of `records`: at least one per funded project (its first,
    # on the funded date), the others spread over the funded projects after that date.
    receipt_total = max(len(funded), records - len(milestone_rows))
    per_project = [1] * len(funded)
    for _ in range(receipt_total - len(funded)):
        per_project[rng.randrange(len(funded))] += 1
    receipt_rows = []
    for (project, department_id, first), n in zip(funded, per_project, strict=True):
        for i in range(n):
            day = first if i == 0 else _after(rng, first, today, spread=40)
            if project.lost_on and day > project.lost_on:
                day = first
            receipt_rows.append(
                Receipt(
                    project_id=project.id,
                    occurred_on=day,
                    amount=Decimal(rng.randint(10, 3000)),
                    status=_status(rng),
                    logged_by_id=liaison_of[department_id],
                )
            )
    _bulk(Milestone, milestone_rows)
    _bulk(Receipt, receipt_rows)

    by_department: dict[int, list[int]] = {}
    for project in created:
        by_department.setdefault(project.department_id, []).append(project.id)
    visit_rows = []
    for i in range(visits):
        department_id = rng.choice(data.department_ids)
        own = by_department.get(department_id)
        visit_rows.append(
            Visit(
                occurred_on=start + timedelta(days=rng.randint(-10, WINDOW_DAYS - 1)),
                department_id=department_id,
                investor_org=f"客商单位{i % 4999}",
                persons=rng.randint(1, 8),
                host=f"领导{i % 37}",
                purpose="考察洽谈",
                project_id=rng.choice(own) if own and rng.random() < 0.3 else None,
                logged_by_id=liaison_of[department_id],
                # Verified, as visits were before they were reviewed: the bench's figures
                # and its random sequence stay those of earlier runs.
                status=ReviewStatus.VERIFIED,
            )
        )
        visit_rows[-1].set_match_keys()  # bulk_create skips save()
    _bulk(Visit, visit_rows)
    # bulk_create announces nothing: store the new projects' progress from their records,
    # and mark stale the leagues they move (the bench competition's among them).
    refresh_progress(p.id for p in created)
    competition_services.records_changed(department_ids=data.department_ids, dates=None)

    for key, n in (
        ("projects", len(created)),
        ("milestones", len(milestone_rows)),
        ("receipts", len(receipt_rows)),
        ("visits", len(visit_rows)),
    ):
        data.counts[key] = data.counts.get(key, 0) + n
