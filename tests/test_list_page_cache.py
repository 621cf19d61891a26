"""The projects and visits lists draw their filter form, totals and table once and keep
them on the "pages" cache under a key naming what they are drawn from
(projects.listing.list_page_key): every department's records version, which every service
write gives a new value after it commits, the user's scope, the query string and, on the
visits list, the latest change to any Person. Never one user's links on another's page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_tables2.templatetags import django_tables2 as tags

from departments.changes import touch
from departments.models import Person
from departments.services import save_department
from projects import services
from projects.models import Project, Stage, Visit
from tests.conftest import make_milestone, make_project, make_visit

pytestmark = pytest.mark.django_db

PROJECTS, VISITS = reverse("projects:list"), reverse("projects:visit_list")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def drawn(monkeypatch):
    """How many times a table was drawn (a cache miss)."""
    calls = []
    original = tags.RenderTableNode.render

    def render(self, context):
        calls.append(1)
        return original(self, context)

    monkeypatch.setattr(tags.RenderTableNode, "render", render)
    return calls


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as a request would: its after-commit work (the new records version)
    runs too."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def new_project(department, *, by, code="P1", name="新能源电池") -> Project:
    project = Project(code=code, name=name, investor="某投资方", department=department)
    return services.create_project(project, by=by, today=date(2026, 6, 30))


def test_a_page_is_drawn_once_and_follows_every_service_write(
    client, office, commerce, drawn, committed
):
    client.force_login(office)
    assert "新能源电池" not in page(client, PROJECTS) and len(drawn) == 1
    assert "共 0 个项目" in page(client, PROJECTS) and len(drawn) == 1  # from the cache

    project = committed(new_project, commerce, by=office)
    assert "新能源电池" in page(client, PROJECTS) and "共 1 个项目" in page(client, PROJECTS)
    assert len(drawn) == 2
    project.name = "氢能整车"
    committed(services.save_project, project, by=office)
    assert "氢能整车" in page(client, PROJECTS) and len(drawn) == 3
    committed(make_milestone, project, Stage.INTENT, date(2026, 6, 1))
    assert Project.objects.get().stage_reached == Stage.INTENT
    assert "签订意向" in page(client, PROJECTS)
    commerce.name = "商务和投资促进局"
    committed(save_department, commerce, by=office)
    assert "商务和投资促进局" in page(client, PROJECTS)
    # Another sort or page is another entry.
    drawn.clear()
    page(client, PROJECTS + "?sort=-planned_investment")
    assert len(drawn) == 1
    # A project deleted without records moves no figure, yet leaves the list.
    lead = committed(new_project, commerce, by=office, code="P2", name="物流园")
    assert "物流园" in page(client, PROJECTS)
    committed(services.delete_projects, [lead], by=office)
    assert "物流园" not in page(client, PROJECTS) and "氢能整车" in page(client, PROJECTS)


def test_a_project_the_admin_adds_is_listed_at_once(client, office, commerce, committed):
    client.force_login(office)
    assert "共 0 个项目" in page(client, PROJECTS)
    project = Project(code="P9", name="冷链物流", investor="某投资方", department=commerce)
    committed(services.save_project, project, by=office)  # the admin's save
    assert "冷链物流" in page(client, PROJECTS)


def test_a_write_round_the_services_shows_once_the_department_is_touched(
    client, office, commerce, committed
):
    """What the key cannot see: a queryset update in a shell changes no records version.
    The page shows it after LIST_PAGE_SECONDS, or at once after departments.changes.touch."""
    project = committed(new_project, commerce, by=office)
    client.force_login(office)
    assert "新能源电池" in page(client, PROJECTS)
    Project.objects.filter(pk=project.pk).update(name="氢能整车")
    assert "新能源电池" in page(client, PROJECTS)
    committed(touch, {commerce.pk})
    assert "氢能整车" in page(client, PROJECTS)


def test_a_filtered_page_and_another_users_scope_are_entries_of_their_own(
    client, office, liaison, commerce, finance, committed, drawn
):
    committed(new_project, commerce, by=office, code="P1", name="商务局的项目")
    committed(new_project, finance, by=office, code="P2", name="财政局的项目")
    client.force_login(office)
    both = page(client, PROJECTS)
    assert "商务局的项目" in both and "财政局的项目" in both
    narrowed = page(client, PROJECTS + f"?department={finance.pk}")
    assert "财政局的项目" in narrowed and "商务局的项目" not in narrowed
    client.force_login(liaison)  # 商务局's
    own = page(client, PROJECTS)
    assert "商务局的项目" in own and "财政局的项目" not in own
    assert len(drawn) == 3


def test_the_visits_page_names_the_logger_as_now_and_links_by_user(
    client, office, leader, liaison, commerce, finance, drawn, committed
):
    mine = committed(make_visit, commerce, date(2026, 6, 1), logged_by=liaison)
    committed(make_visit, finance, date(2026, 6, 2), logged_by=liaison)
    edit_mine = reverse("projects:visit_edit", args=[mine.pk])

    client.force_login(office)
    office_page = page(client, VISITS)
    assert office_page.count('/edit/">修改</a>') == 2
    client.force_login(leader)
    leader_page = page(client, VISITS)
    assert "修改</a>" not in leader_page and len(drawn) == 2  # not the office's page

    # A Person renamed (the admin saves it with its history) shows at once.
    person = Person.objects.get(user=liaison)
    person.name = "孙丽娟"
    person.save()
    assert "孙丽娟" in page(client, VISITS)
    client.force_login(liaison)
    liaison_page = page(client, VISITS)
    assert edit_mine in liaison_page and "共接待客商 1 批次 3 名" in liaison_page


def test_the_visits_page_follows_a_new_and_a_returned_visit(
    client, office, liaison, commerce, committed
):
    client.force_login(liaison)
    assert "共接待客商 0 批次" in page(client, VISITS)
    visit = Visit(
        department=commerce, occurred_on=date(2026, 6, 29), persons=4, investor_org="星河资本"
    )
    committed(services.save_visit, visit, by=liaison)
    shown = page(client, VISITS)
    assert "星河资本" in shown and "共接待客商 1 批次 4 名" in shown
    committed(services.return_record, visit, by=office, reason="缺接待单")
    assert "共接待客商 0 批次 0 名" in page(client, VISITS)


def test_the_liaisons_open_records_follow_every_change(
    client, liaison, office, commerce, django_capture_on_commit_callbacks
):
    project = make_project(commerce, code="P1", name="新能源电池")
    milestone = make_milestone(project, Stage.INTENT, date(2026, 6, 1), status="pending")
    client.force_login(liaison)
    assert "待核实" in page(client, reverse("home"))
    with django_capture_on_commit_callbacks(execute=True):  # the new records version
        services.return_record(milestone, by=office, reason="合同缺盖章页")
    assert "合同缺盖章页" in page(client, reverse("home"))
    # The home as computed is kept under the department's records version, which every
    # service write changes (tests/test_liaison_home_cache.py): a rename through one.
    project.refresh_from_db()
    project.name = "氢能整车"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_project(project, by=office)
    assert "P1 氢能整车" in page(client, reverse("home"))
