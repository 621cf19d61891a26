"""`manage.py loaddemo`: the speech's figures, idempotence, logins and the cases pages show."""

import re
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from competition.models import Competition, Snapshot
from competition.scoring import compute_league
from demo.loader import (
    COMPETITION_NAME,
    DAY_OF_WINDOW,
    SPEECH_FIGURES,
    build_demo,
    expected_totals,
)
from departments.models import Department, Person
from departments.roles import roles_of
from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage, Visit, validate_code
from projects.rules import first_backward_pair
from projects.services import next_code
from projects.validation import stage_dates

LOGIN_LINE = re.compile(r"^\s+(\S+)\s+(Demo-\S+)\s+(\S+)", re.MULTILINE)
STAGE_METRICS = {
    "intent_projects": Stage.INTENT,
    "signed_projects": Stage.SIGNED,
    "funded_projects": Stage.FUNDED,
    "groundbreaking_projects": Stage.GROUNDBREAKING,
}


def loaddemo(*args) -> str:
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db, settings):
    # Seven demo passwords: a fast hasher keeps each build short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    output = loaddemo()
    return Competition.objects.get(name=COMPETITION_NAME), output


def count_by_hand(competition, *, as_of):
    """DOMAIN.md's counting rule, written again record by record, to cross-check the engine."""
    start, end = competition.start_date, min(as_of, competition.end_date)
    by_department = defaultdict(Counter)
    visits = Visit.objects.filter(occurred_on__gte=start, occurred_on__lte=end)
    for visit in visits.filter(status=ReviewStatus.VERIFIED):
        by_department[visit.department_id]["visit_batches"] += 1
        by_department[visit.department_id]["visitors"] += visit.persons
    for project in Project.objects.prefetch_related("milestones", "receipts"):

        def counts(record, project=project):
            return (
                record.status == ReviewStatus.VERIFIED
                and record.occurred_on <= end
                and (project.lost_on is None or record.occurred_on <= project.lost_on)
            )

        receipts = [r for r in project.receipts.all() if counts(r)]
        dated = [(m.stage, m.occurred_on) for m in project.milestones.all() if counts(m)]
        dated += [(Stage.FUNDED, r.occurred_on) for r in receipts]
        tally = by_department[project.department_id]
        for metric, stage in STAGE_METRICS.items():
            reached = min((on for s, on in dated if s >= stage), default=None)
            tally[metric] += int(reached is not None and start <= reached)
        tally["funds_amount"] += sum(r.amount for r in receipts if r.occurred_on >= start)
    return by_department


def test_the_plan_adds_up_to_the_speech():
    totals = expected_totals()
    assert {m: SPEECH_FIGURES[m] for m in totals if m in SPEECH_FIGURES} == {
        m: v for m, v in totals.items() if m in SPEECH_FIGURES
    }
    assert set(SPEECH_FIGURES) - set(totals) == {"visitors"}


def test_loaddemo_reproduces_the_speech_figures_today(demo):
    competition, _ = demo
    today = timezone.localdate()
    assert (today - competition.start_date).days + 1 == DAY_OF_WINDOW
    assert competition.days == 100 and not competition.count_pending

    league = compute_league(competition, as_of=today)
    assert {m: league.totals[m] for m in SPEECH_FIGURES} == {
        m: Decimal(v) for m, v in SPEECH_FIGURES.items()
    }
    # A second implementation agrees department by department.
    by_hand = count_by_hand(competition, as_of=today)
    for row in league.rows:
        assert {m: row.actuals[m] for m in by_hand[row.department_id]} == {
            m: Decimal(v) for m, v in by_hand[row.department_id].items()
        }, row.department_name
    assert len(league.rows) == 35


def test_the_demo_is_scored_and_its_progress_stored_after_commit(
    db, settings, django_capture_on_commit_callbacks
):
    """The loader saves outside the entry services, so it refreshes and announces itself."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_capture_on_commit_callbacks(execute=True):
        loaddemo()
    competition = Competition.objects.get(name=COMPETITION_NAME)
    assert competition.stale_from is None  # recomputed in-process after the commit
    stored = Snapshot.objects.filter(competition=competition, as_of=timezone.localdate())
    assert stored.count() == 35
    totals = {m: sum(Decimal(s.actuals[m]) for s in stored) for m in SPEECH_FIGURES}
    assert totals == {m: Decimal(v) for m, v in SPEECH_FIGURES.items()}
    # The stored progress the list pages sort on equals the progress computed from records.
    progress = Project.objects.with_computed_progress().values_list(
        "stage_reached", "computed_stage_reached", "last_milestone_on", "computed_last_milestone_on"
    )
    assert progress and all(a == b and c == d for a, b, c, d in progress)
    assert any(stage == Stage.GROUNDBREAKING for stage, *_ in progress)


def test_the_figures_hold_whatever_the_day(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    past = timezone.localdate() - timedelta(days=300)
    result = build_demo(today=past)
    assert result.created and result.day == DAY_OF_WINDOW
    league = compute_league(result.competition, as_of=past)
    assert all(league.totals[m] == v for m, v in SPEECH_FIGURES.items())


def test_a_second_run_writes_nothing(demo):
    before = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    output = loaddemo()
    after = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    assert after == before
    assert "未做改动" in output


def test_rebuild_replaces_the_demo_without_duplicates(demo):
    domain = [
        m for m in apps.get_models() if not m._meta.label.split(".")[1].startswith("Historical")
    ]
    before = {m._meta.label: m._default_manager.count() for m in domain}
    loaddemo("--rebuild")
    after = {m._meta.label: m._default_manager.count() for m in domain}
    assert after == before
    competition = Competition.objects.get(name=COMPETITION_NAME)
    league = compute_league(competition, as_of=timezone.localdate())
    assert all(league.totals[m] == v for m, v in SPEECH_FIGURES.items())


def test_demo_projects_are_numbered_as_the_entry_pages_number_them(demo):
    """One code scheme (README "Project codes"): the demo's projects are XM-<year>-<number>
    in the order they were registered, valid codes, and what a liaison creates next
    carries on from them; a rebuild numbers them the same way again."""
    codes = sorted(Project.objects.values_list("code", flat=True))
    assert all(re.fullmatch(r"XM-20[0-9]{2}-[0-9]{4}", code) for code in codes), codes[:5]
    for project in Project.objects.all():
        validate_code(project.code)
    numbers = defaultdict(list)
    for code in codes:
        numbers[int(code[3:7])].append(int(code[8:]))
    assert all(found == list(range(1, len(found) + 1)) for found in numbers.values()), numbers
    year = max(numbers)
    with transaction.atomic():
        assert next_code(year=year) == f"XM-{year}-{len(numbers[year]) + 1:04d}"
        transaction.set_rollback(True)
    loaddemo("--rebuild")
    assert sorted(Project.objects.values_list("code", flat=True)) == codes


def test_printed_logins_authenticate_and_cover_every_role(demo):
    _, output = demo
    printed = LOGIN_LINE.findall(output)
    roles = Counter()
    for username, password, _label in printed:
        # A request, as the login page gives: the lock-out backend (axes) keys on it.
        user = authenticate(
            RequestFactory().post("/accounts/login/"), username=username, password=password
        )
        assert user is not None, username
        validate_password(password, user)
        roles[roles_of(user).primary] += 1
        assert user.is_staff == (roles_of(user).primary == "office")
        assert not user.is_superuser
    assert set(roles) == {"office", "leader", "liaison", "staff"}
    assert roles["liaison"] >= 3
    two_departments = Person.objects.filter(user__username__in=[p[0] for p in printed])
    assert any(p.liaison_for.count() == 2 for p in two_departments)
    staff = Person.objects.get(user__username="staff_sw")
    assert Project.objects.filter(submitted_by=staff.user).count() >= 3


def test_the_demo_has_the_cases_the_pages_show(demo):
    competition, _ = demo
    start = competition.start_date
    today = timezone.localdate()
    assert Project.objects.count() == 150
    assert Project.objects.filter(lost_on__isnull=False).exclude(lost_reason="").count() >= 3
    assert Project.objects.major().count() >= 4
    assert Project.objects.reward_eligible().count() >= 2
    # Major but not eligible: the thresholds are visible in the data.
    assert Project.objects.major().exclude(id__in=Project.objects.reward_eligible()).exists()
    for model in (Milestone, Receipt, Visit):
        assert model.objects.filter(status=ReviewStatus.PENDING).exists()
        returned = model.objects.filter(status=ReviewStatus.RETURNED)
        assert returned.exists() and not returned.filter(return_reason="").exists()
    # 下半年还没有一个5000万元以上的新项目开工建设
    assert not Project.objects.major().filter(milestones__stage=Stage.GROUNDBREAKING).exists()
    assert Milestone.objects.filter(stage__gte=Stage.INTENT, occurred_on__lt=start).exists()
    tranches = Counter(Receipt.objects.values_list("project_id", flat=True))
    assert sum(1 for n in tranches.values() if n > 1) >= 3
    # Funded before the window, paying again inside it: funds count, the funded stage not.
    assert (
        Project.objects.filter(receipts__occurred_on__lt=start)
        .filter(receipts__occurred_on__gte=start)
        .exists()
    )
    assert Visit.objects.filter(project__isnull=False).exists()
    assert Visit.objects.filter(occurred_on__lt=start).exists()  # listed, not counted
    # Every date is today or earlier, spread over the window, and stages never go backwards.
    for model in (Milestone, Receipt, Visit):
        assert not model.objects.filter(occurred_on__gt=today).exists()
    assert Visit.objects.filter(occurred_on__gte=start).dates("occurred_on", "day").count() >= 25
    for project in Project.objects.all():
        assert first_backward_pair(stage_dates(project)) is None, project.code

    league = compute_league(competition, as_of=today)
    yellow = {r.department_name for r in league.rows if r.yellow_card}
    zero = {r.department_name for r in league.rows if r.zero_result}
    assert zero == {"统计局", "审计局", "司法局", "粮食局", "政法委", "妇联"}
    assert zero < yellow and 6 < len(yellow) <= 12  # some behind the timeline, not only idle
    scores = [r.score for r in league.rows]
    assert max(scores) - min(scores) > 1 and len(set(scores)) >= 10


def test_office_users_can_work_in_the_admin(demo, client):
    from django.contrib.auth import get_user_model

    office = get_user_model().objects.get(username="office1")
    assert office.has_perm("projects.change_milestone") and not office.is_superuser
    client.force_login(office)
    page = client.get("/admin/").content.decode()
    assert "/admin/projects/milestone/" in page and "/admin/competition/quota/" in page


def test_the_demo_has_past_cards_rectifications_and_honours(demo):
    from competition.honours import honours_for
    from competition.models import Rectification, Report, YellowCard

    competition, _ = demo
    today = timezone.localdate()
    bulletins = Report.objects.filter(competition=competition, kind=Report.Kind.BULLETIN)
    assert sorted(bulletins.values_list("issue_number", flat=True)) == [1, 2, 3, 4]
    assert YellowCard.objects.filter(competition=competition, consecutive_issues__gte=2).exists()
    statuses = set(Rectification.objects.values_list("status", flat=True))
    assert {"submitted", "returned"} <= statuses
    returned = Rectification.objects.get(status="returned")
    assert returned.card.department.name == "统计局" and returned.return_reason
    found = honours_for(competition, league=compute_league(competition, as_of=today))
    assert found.red and found.black
    assert any(r.code == "overdue" for e in found.black for r in e.reasons)
    # The cards are read off the league: the speech's figures are untouched.
    league = compute_league(competition, as_of=today)
    assert all(league.totals[m] == v for m, v in SPEECH_FIGURES.items())


def test_the_demo_shows_late_entries_and_visits_under_review(demo):
    """Issue 20: a few 补录 records of each kind, and pending and returned visits that do
    not move the speech's figures (the league test above holds them)."""
    from projects.lateness import late_counts, late_entry_q

    competition, _ = demo
    for model in (Milestone, Receipt, Visit):
        assert model.objects.filter(late_entry_q()).exists(), model
    late = late_counts(
        Department.objects.values_list("id", flat=True),
        competition.start_date - timedelta(days=365),
        timezone.localdate(),
    )
    # A few, not every record the demo saved at once: the others are dated as typed on time.
    assert sum(late.values()) == sum(
        model.objects.filter(late_entry_q()).count() for model in (Milestone, Receipt, Visit)
    )
    assert 3 <= sum(late.values()) <= 10
    counted = Visit.objects.filter(
        status=ReviewStatus.VERIFIED, occurred_on__gte=competition.start_date
    )
    assert counted.count() == SPEECH_FIGURES["visit_batches"]
