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


# Two saves at the same instant (PostgreSQL) ----------------------------------------------
# Each test lets two requests pass their form's checks, holds them at a barrier until both
# have, then lets both save: the database's unique constraint decides, and the loser must
# get a message, not an error page. SQLite takes one writer at a time, and its in-memory
# test database is not shared between threads: these run on PostgreSQL (CI's second pass).


def both_at_once(posts, *, hold, monkeypatch):
    """Run the `posts` (callables returning a response) in two threads, each held after
    `hold` (a form class's clean) until both got there; return the responses in order."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (CI runs this file on it)")
    barrier = threading.Barrier(len(posts))
    original = hold.clean

    def clean_then_wait(form):
        cleaned = original(form)
        barrier.wait(timeout=20)
        return cleaned

    monkeypatch.setattr(hold, "clean", clean_then_wait)
    responses, errors = [None] * len(posts), []

    def run(i):
        try:
            responses[i] = posts[i]()
        except BaseException as e:  # reported by the main thread
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return responses


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_two_users_adding_the_same_stage_at_once(liaison, office, commerce, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.forms import MilestoneForm
    from projects.models import Milestone

    project = make_project(commerce, code="SW-001")
    url = reverse("projects:milestone_create", args=[project.pk])
    clients = [logged_in(liaison), logged_in(office)]

    def post(client, day):
        evidence = SimpleUploadedFile("意向书.pdf", b"%PDF-1.4\n%%EOF\n")
        data = {"stage": 2, "occurred_on": f"2026-06-{day}", "evidence": evidence}
        return lambda: client.post(url, data)

    responses = both_at_once(
        [post(clients[0], 10), post(clients[1], 11)], hold=MilestoneForm, monkeypatch=monkeypatch
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "该项目的这个阶段刚被他人登记" in refused
    assert 'id="id_stage_error"' in refused  # next to the stage field
    milestone = Milestone.objects.get()  # one, whole: its history row and the progress
    assert Milestone.history.count() == 1
    project.refresh_from_db()
    assert project.last_milestone_on == milestone.occurred_on


@pytest.mark.django_db(transaction=True)
def test_two_stages_going_backwards_saved_at_once(liaison, office, commerce, monkeypatch):
    """意向 on 06-12 and 签约 on 06-10, each checked against a project with neither: the
    save that takes the project's lock second sees the first's record and is refused next
    to its date."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.forms import MilestoneForm
    from projects.models import Milestone

    project = make_project(commerce, code="SW-001")
    url = reverse("projects:milestone_create", args=[project.pk])
    clients = [logged_in(liaison), logged_in(office)]

    def post(client, stage, day):
        evidence = SimpleUploadedFile("合同.pdf", b"%PDF-1.4\n%%EOF\n")
        data = {"stage": stage, "occurred_on": f"2026-06-{day}", "evidence": evidence}
        return lambda: client.post(url, data)

    responses = both_at_once(
        [post(clients[0], 1, 12), post(clients[1], 2, 10)],
        hold=MilestoneForm,
        monkeypatch=monkeypatch,
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "不能早于" in refused and 'id="id_occurred_on_error"' in refused
    assert Milestone.objects.count() == 1 and Milestone.history.count() == 1
    kept = Milestone.objects.get()
    project.refresh_from_db()
    assert (project.stage_reached, project.last_milestone_on) == (kept.stage, kept.occurred_on)


@pytest.mark.django_db(transaction=True)
def test_two_users_typing_the_same_new_code_at_once(liaison, office, commerce, monkeypatch):
    from projects.forms import ProjectForm

    url = reverse("projects:create")
    clients = [logged_in(liaison), logged_in(office)]

    def post(client, name):
        data = {"name": name, "code": "SW-100", "department": commerce.pk, "industry": "other"}
        return lambda: client.post(url, data)

    responses = both_at_once(
        [post(clients[0], "甲"), post(clients[1], "乙")], hold=ProjectForm, monkeypatch=monkeypatch
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).content.decode()
    assert "项目编号“SW-100”刚被他人使用" in refused and 'id="id_code_error"' in refused
    assert Project.objects.count() == 1 and Project.history.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_visit_form_posted_twice_at_the_same_instant_is_stored_once(
    liaison, commerce, monkeypatch
):
    import re

    from projects.forms import VisitForm
    from projects.models import Submission, Visit

    url = reverse("projects:visit_create")
    clients = [logged_in(liaison), logged_in(liaison)]
    page = clients[0].get(url).content.decode()
    token = re.search(r'name="submission" value="([0-9a-f-]{36})"', page).group(1)
    data = {
        "department": commerce.pk,
        "occurred_on": "2026-06-29",
        "investor_org": "某客商",
        "persons": "3",
        "submission": token,
    }
    responses = both_at_once(
        [lambda c=c: c.post(url, data) for c in clients], hold=VisitForm, monkeypatch=monkeypatch
    )

    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {reverse("projects:visit_list")}
    assert Visit.objects.count() == 1 and Visit.history.count() == 1
    assert Submission.objects.get().object_id == Visit.objects.get().pk
