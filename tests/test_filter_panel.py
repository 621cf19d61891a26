"""The list pages' filter panel is cached (projects.filterpanel) but never stale: its key
holds the query string, the path, the language and every choice read from the database.
"""

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from departments.models import Department, DepartmentGroup
from departments.roles import roles_of
from projects import filterpanel
from projects.access import projects_for
from projects.filters import ProjectFilter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _chinese():
    yield
    translation.activate("zh-hans")


def department_options(page: str) -> list[str]:
    """The names offered by the panel's department select."""
    select = re.search(r'<select name="department"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r"<option [^>]*>([^<]*)</option>", select)


def panel_of(user, query: str = ""):
    request = RequestFactory().get("/projects/" + query)
    request.user = user
    found = ProjectFilter(request.GET, queryset=projects_for(roles_of(user)), request=request)
    found.is_valid()  # the view validates the form before rendering the panel
    return request, found


def test_cached_panel_is_what_the_template_renders(office, commerce, finance):
    for query, errors in (
        ("", False),
        ("?stage=3&q=a%3Cb", False),
        ("?department=999999", True),  # not a department of this user's
        ("?last_after=2026-13-40", True),
    ):
        request, found = panel_of(office, query)
        first = filterpanel.filter_panel(request, found)
        request, found = panel_of(office, query)
        cached = filterpanel.filter_panel(request, found)
        request, found = panel_of(office, query)
        fresh = render_to_string(filterpanel.TEMPLATE, {"filter": found, "request": request})
        assert first == cached == fresh
        assert ("errorlist" in cached) is errors
    assert 'value="a&lt;b"' in filterpanel.filter_panel(*panel_of(office, "?q=a%3Cb"))


def test_second_request_does_not_render_the_template(office, commerce, monkeypatch):
    request, found = panel_of(office, "?stage=2")
    filterpanel.filter_panel(request, found)
    monkeypatch.setattr(filterpanel, "render_to_string", lambda *a, **k: pytest.fail("rendered"))
    request, found = panel_of(office, "?stage=2")
    assert 'value="2" selected' in filterpanel.filter_panel(request, found)


def test_a_new_or_renamed_department_shows_at_once(client, office, commerce, finance):
    client.force_login(office)
    url = reverse("projects:list")
    assert department_options(client.get(url).content.decode()) == ["全部", "商务局", "财政局"]
    Department.objects.create(name="科技局", order=3)
    finance.name = "财政局（国资办）"
    finance.save()
    assert department_options(client.get(url).content.decode()) == [
        "全部",
        "商务局",
        "财政局（国资办）",
        "科技局",
    ]


def test_a_new_group_shows_at_once(client, office, commerce):
    client.force_login(office)
    url = reverse("projects:visit_list")
    client.get(url)
    DepartmentGroup.objects.create(name="新设分组", order=9)
    assert "新设分组" in client.get(url).content.decode()


def test_each_user_gets_their_own_choices(client, office, liaison, commerce, finance):
    url = reverse("projects:list")
    client.force_login(office)
    assert department_options(client.get(url).content.decode()) == ["全部", "商务局", "财政局"]
    client.force_login(liaison)
    assert department_options(client.get(url).content.decode()) == ["全部", "商务局"]


def test_the_panel_follows_the_language(office, commerce):
    request, found = panel_of(office)
    assert "筛选" in filterpanel.filter_panel(request, found)
    with translation.override("en"):
        request, found = panel_of(office)
        english = filterpanel.filter_panel(request, found)
    assert "筛选" not in english and "Filter" in english


def test_the_clear_link_is_the_pages_own(client, office, commerce):
    client.force_login(office)
    for name in ("projects:list", "projects:lead_list", "projects:visit_list"):
        page = client.get(reverse(name) + "?q=x").content.decode()
        assert f'<a class="btn" href="{reverse(name)}">' in page
