"""The projects and visits lists draw a page once and keep it on the "pages" cache under
a key that names what it shows (web.tables.page_cache_key): never stale, whoever changed
the rows and however, and never one user's links on another user's page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_tables2.templatetags import django_tables2 as tags

from departments.models import Department, Person
from projects import services
from projects.models import Project, Stage
from tests.conftest import make_milestone, make_project, make_visit

pytestmark = pytest.mark.django_db

PROJECTS, VISITS = reverse("projects:list"), reverse("projects:visit_list")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    # Frozen: a save does not move updated_at, so the key must see the values themselves.
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


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_page_is_drawn_once_and_follows_every_change(client, office, commerce, drawn):
    client.force_login(office)
    project = make_project(commerce, code="P1", name="新能源电池")
    assert "新能源电池" in page(client, PROJECTS) and len(drawn) == 1
    assert "新能源电池" in page(client, PROJECTS) and len(drawn) == 1  # from the cache

    # A save within the same instant (updated_at unchanged), a progress refresh, a
    # department renamed by a bulk update: each shows at once.
    project.name = "氢能整车"
    services.save_project(project, by=office)
    assert "氢能整车" in page(client, PROJECTS) and len(drawn) == 2
    make_milestone(project, Stage.INTENT, date(2026, 6, 1))
    assert Project.objects.get().stage_reached == Stage.INTENT
    assert "签订意向" in page(client, PROJECTS)
    Department.objects.filter(pk=commerce.pk).update(name="商务和投资促进局")
    assert "商务和投资促进局" in page(client, PROJECTS)
    # Another sort or page is another entry.
    drawn.clear()
    page(client, PROJECTS + "?sort=-planned_investment")
    assert len(drawn) == 1


def test_the_visits_page_names_the_logger_as_now_and_links_by_user(
    client, office, leader, liaison, commerce, finance, drawn
):
    mine = make_visit(commerce, date(2026, 6, 1), logged_by=liaison)
    make_visit(finance, date(2026, 6, 2), logged_by=liaison)
    edit_mine = reverse("projects:visit_edit", args=[mine.pk])

    client.force_login(office)
    office_page = page(client, VISITS)
    assert office_page.count('/edit/">修改</a>') == 2
    client.force_login(leader)
    leader_page = page(client, VISITS)
    assert "修改</a>" not in leader_page and len(drawn) == 2  # not the office's page

    Person.objects.filter(user=liaison).update(name="孙丽娟")
    assert "孙丽娟" in page(client, VISITS)
    client.force_login(liaison)
    liaison_page = page(client, VISITS)
    assert edit_mine in liaison_page


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
