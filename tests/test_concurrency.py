"""Two people editing one project at once: the second save is refused, never silently
overwriting the first (optimistic concurrency on Project.updated_at).

The edit form carries the project's `updated_at` as it was when the page was shown, in a
hidden field `loaded_at`; the save compares it with the stored value under a row lock and
refuses with a Chinese message when someone else saved in between.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from projects.models import Project
from tests.conftest import make_project

pytestmark = [pytest.mark.django_db]

CONFLICT = "该项目已被他人修改"


@pytest.fixture(autouse=True)
def _now(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def form_data(page: str, project: Project, **changes) -> dict:
    """What the browser posts back: the shown values, the hidden `loaded_at`, the changes."""
    marker = 'name="loaded_at" value="'
    assert marker in page, "the edit form must carry the hidden loaded_at field"
    start = page.index(marker) + len(marker)
    data = {
        "loaded_at": page[start : page.index('"', start)],
        "name": project.name,
        "code": project.code,
        "investor": project.investor,
        "department": project.department_id,
        "responsible_person": project.responsible_person,
        "industry": project.industry,
    }
    data.update(changes)
    return data


def test_the_second_of_two_concurrent_edits_is_refused(liaison, office, commerce, time_machine):
    project = make_project(commerce, code="SW-001", name="新能源电池项目")
    url = reverse("projects:edit", args=[project.pk])
    first, second = Client(), Client()
    first.force_login(liaison)
    second.force_login(office)
    first_page = first.get(url).content.decode()
    second_page = second.get(url).content.decode()

    saved = first.post(url, form_data(first_page, project, responsible_person="王明"))
    assert saved.status_code == 302
    time_machine.shift(timedelta(seconds=30))
    refused = second.post(url, form_data(second_page, project, investor="另一投资方"))

    assert refused.status_code == 200  # the form again, with the conflict explained
    assert CONFLICT in refused.content.decode()
    project.refresh_from_db()
    assert project.responsible_person == "王明"  # the first edit stands
    assert project.investor == "某投资方"  # the second was not applied
    assert Project.history.filter(id=project.pk).count() == 2  # created, first edit


def test_reloading_after_a_conflict_lets_the_edit_through(liaison, office, commerce):
    project = make_project(commerce, code="SW-001")
    url = reverse("projects:edit", args=[project.pk])
    client = Client()
    client.force_login(office)
    stale_page = client.get(url).content.decode()
    Project.objects.filter(pk=project.pk).first().save()  # someone saved meanwhile
    assert CONFLICT in client.post(url, form_data(stale_page, project)).content.decode()

    project.refresh_from_db()
    fresh_page = client.get(url).content.decode()
    response = client.post(url, form_data(fresh_page, project, investor="新投资方"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.investor == "新投资方"


def test_a_post_without_loaded_at_is_refused(office, commerce):
    """A form from before the change (or a hand-made request) cannot overwrite blindly."""
    project = make_project(commerce, code="SW-001")
    client = Client()
    client.force_login(office)
    url = reverse("projects:edit", args=[project.pk])
    page = client.get(url).content.decode()
    data = form_data(page, project, investor="x")
    del data["loaded_at"]
    response = client.post(url, data)
    assert response.status_code == 200 and CONFLICT in response.content.decode()
    project.refresh_from_db()
    assert project.investor == "某投资方"
