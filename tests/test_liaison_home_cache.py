"""The liaison's home as computed is kept under a key naming what it was computed from.

After every kind of write a service makes, the home served must equal one computed from
the records at that moment (`_liaison_home`, no cache): the department's records version
(departments.changes.touch), the stored league's version, the competition's settings and
weights are each in the key, and a test below breaks when one of them is left out.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.urls import reverse

from competition import home as sections
from competition import services as competition_services
from competition.league.snapshots import recompute_snapshots
from competition.models import MetricWeight
from departments import services as department_services
from departments.changes import announce, touch
from departments.models import Department
from projects import services
from projects.models import Milestone, Stage
from tests.conftest import make_competition, make_milestone, make_project, make_visit

TODAY = date(2026, 4, 30)

# Real commits: a department's new records version is written once its writer's
# transaction commits (departments.changes), as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def competition(commerce, finance):
    competition = make_competition(commerce, finance)
    project = make_project(commerce, "P001", name="新能源电池")
    make_milestone(project, Stage.LEAD, date(2026, 3, 2))
    make_milestone(project, Stage.INTENT, date(2026, 3, 5), status="pending")
    make_visit(commerce, date(2026, 3, 10), persons=3)
    other = make_project(finance, "P002", name="财政局食品厂")
    make_milestone(other, Stage.LEAD, date(2026, 3, 3))
    recompute_snapshots(competition, as_of=TODAY)
    return competition


def _served(commerce, competition, today=TODAY):
    return sections.liaison_home(department_ids={commerce.pk}, competition=competition, today=today)


def _fresh(commerce, competition, today=TODAY):
    """Computed from the records now, through no cache."""
    departments = list(Department.objects.filter(pk=commerce.pk).select_related("group"))
    competition.refresh_from_db()
    return sections._liaison_home(
        departments, competition=competition, weights=competition.weights(), today=today
    )


def test_a_second_home_reads_none_of_the_records(commerce, competition, django_assert_num_queries):
    """Departments, weights and the league's version; no rows of the league, no counts,
    no lists, no reported figures (11 queries on a miss: these 3 and the 8 left out)."""
    with django_assert_num_queries(11):
        first = _served(commerce, competition)
    with django_assert_num_queries(3):
        again = _served(commerce, competition)
    assert again == first == _fresh(commerce, competition)
    assert first[0].pending_milestones == 1
    # The next day, with the same records and league: the pace counts one day fewer.
    tomorrow = date(2026, 5, 1)
    recompute_snapshots(competition, as_of=tomorrow)
    assert _served(commerce, competition, tomorrow) == _fresh(commerce, competition, tomorrow)
    assert _served(commerce, competition, tomorrow)[0].pace != first[0].pace


def test_the_home_follows_every_write_of_the_department(
    commerce, finance, staff_member, office, competition
):
    """Each write below changes what the home shows; served equals fresh after each."""

    def check(*, recompute=True):
        # The worker's recompute, as it follows each write once committed (on_commit
        # hooks do not run inside a test's transaction).
        if recompute:
            recompute_snapshots(competition, as_of=TODAY)
        served = _served(commerce, competition)
        assert served == _fresh(commerce, competition)
        return served[0]

    project = commerce.projects.get(code="P001")
    assert check().pending_milestones == 1

    # A new pending record: the league's figures do not move (verified only), its
    # version stays; the department's records version does move.
    version = competition.snapshots.order_by("-pk").values_list("pk", flat=True).first()
    make_milestone(project, Stage.SIGNED, date(2026, 4, 20), status="pending")
    assert check().pending_milestones == 2
    assert competition.snapshots.order_by("-pk").values_list("pk", flat=True).first() == version

    # Verified by the office: counted in the league, out of the open list.
    intent = Milestone.objects.get(project=project, stage=Stage.INTENT)
    services.verify(intent, by=office)
    summary = check()
    assert summary.pending_milestones == 1
    assert [r.stage_label for r in summary.records] == [Stage.SIGNED.label]

    # Returned, with a reason the liaison reads on the home.
    signed = Milestone.objects.get(project=project, stage=Stage.SIGNED)
    services.return_record(signed, by=office, reason="合同不全")
    assert check().records[0].return_reason == "合同不全"

    # The project renamed: nothing counted moves, the open list shows its name.
    project.name = "新能源电池二期"
    services.save_project(project, by=office)
    assert check().records[0].project_name == "新能源电池二期"

    # The department renamed (the admin's whole-row save).
    commerce.refresh_from_db()
    commerce.name = "商务和投资促进局"
    department_services.save_department(commerce, by=office)
    assert check().department.name == "商务和投资促进局"

    # Another department's verified records move the league (a new stored version): no
    # record of this department changed, and it drops to second place.
    assert check().standing.rank == 1
    rival = make_project(finance, "P003", name="对手项目")
    make_milestone(rival, Stage.INTENT, date(2026, 4, 1))
    make_milestone(rival, Stage.SIGNED, date(2026, 4, 2))
    make_visit(finance, date(2026, 4, 3), persons=9)
    assert check().standing.rank == 2

    # The competition's yellow line, and a metric's weight (the pace reads both).
    competition.yellow_threshold = Decimal("0.9")
    competition_services.save_competition(competition, by=office)
    assert check().threshold == Decimal("0.9")
    # A weight changed, its recompute not yet run: the plan already uses it.
    plan = check().pace
    MetricWeight.objects.update_or_create(
        competition=competition, metric="visit_batches", defaults={"weight": Decimal("0")}
    )
    assert check(recompute=False).pace != plan


def test_a_bulk_writer_touches_every_department(commerce, finance, competition):
    """The ledger import, the demo and the bench data write with bulk statements and
    announce nothing: competition.services.records_changed gives every department they
    name (None: all) a new records version, so the homes follow them too."""
    before = dict(Department.objects.values_list("pk", "records_version"))
    served = _served(commerce, competition)
    project = commerce.projects.get(code="P001")
    Milestone.objects.filter(project=project, stage=Stage.INTENT).update(status="returned")
    # A bulk write alone: the home computed before it is still served (its key is the same).
    assert _served(commerce, competition) == served
    competition_services.records_changed(department_ids=None, dates=None)
    after = dict(Department.objects.values_list("pk", "records_version"))
    assert all(after[pk] != before[pk] for pk in before)
    assert _served(commerce, competition)[0].returned_milestones == 1


def test_a_whole_row_save_never_brings_back_a_version(commerce):
    """The admin saves a department it loaded earlier, with the token of that time; the
    announcement that follows in the same transaction gives it a token not seen before."""
    seen = set()
    loaded = Department.objects.get(pk=commerce.pk)
    seen.add(loaded.records_version)
    for _ in range(3):
        touch({commerce.pk})
        seen.add(Department.objects.get(pk=commerce.pk).records_version)
    department_services.save_department(loaded, by=None)
    assert Department.objects.get(pk=commerce.pk).records_version not in seen


def test_announce_touches_only_the_departments_it_names(commerce, finance):
    before = dict(Department.objects.values_list("pk", "records_version"))
    announce(department_ids={commerce.pk, None}, dates=[TODAY])
    after = dict(Department.objects.values_list("pk", "records_version"))
    assert after[commerce.pk] != before[commerce.pk]
    assert after[finance.pk] == before[finance.pk]


def test_the_version_is_not_in_the_departments_history(commerce):
    touch({commerce.pk})
    assert commerce.history.count() == 1  # its creation; the touch wrote none
    assert "records_version" not in {f.name for f in commerce.history.model._meta.fields}


def test_the_page_shows_a_write_at_once(client, liaison, commerce, competition):
    """Through the page: the home drawn before a new pending record, then after it."""
    client.force_login(liaison)
    assert "新能源电池" in client.get(reverse("home")).content.decode()
    project = commerce.projects.get(code="P001")
    project.name = "新能源电池二期"
    services.save_project(project, by=None)
    assert "新能源电池二期" in client.get(reverse("home")).content.decode()


def test_no_stored_league_means_no_cached_home(commerce, competition):
    """Without a stored league of the day the row is computed live from every
    department's records: nothing is kept."""
    competition.snapshots.all().delete()
    caches["pages"].clear()
    _served(commerce, competition)
    assert not [k for k in caches["pages"]._cache if "liaison-home" in k]


def test_a_second_showing_draws_the_kept_section_and_computes_nothing(
    client, liaison, commerce, competition, monkeypatch
):
    """The section as drawn is kept under the home's key: the second showing is the
    first byte for byte, and neither computes nor reads the summaries."""
    import re

    def page():  # each showing masks the CSRF token anew
        html = client.get(reverse("home")).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    client.force_login(liaison)
    first = page()
    assert "新能源电池" in first

    def not_computed(self):
        raise AssertionError("the kept section was drawn again")

    monkeypatch.setattr(sections.LiaisonHome, "summaries", property(not_computed))
    assert page() == first


def test_the_kept_section_is_kept_per_language(client, liaison, commerce, competition):
    client.force_login(liaison)
    assert "待核实与退回" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    assert "待核实与退回" not in english and "阶段节点" not in english
