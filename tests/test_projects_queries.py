"""Every list page costs the same number of SQL queries for 2 rows as for 30 (> one page).

Each page's first three queries are the same, and are listed once here:
  1. session, 2. the user joined to their person and liaison departments (one query:
     accounts.backends.RolesBackend, departments.roles.signed_in_user).
Every page also counts the user's unread notifications for the header, once: each total
below is one more than its numbered queries. The session is not saved by a page
(web.middleware.IdleSessionMiddleware: once a minute).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.services import save_department
from projects import services
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_person, make_project, make_receipt, make_visit

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)


@pytest.fixture(autouse=True)
def _fixed(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def queries(client, url) -> int:
    client.get(url)  # warm caches (content types, translations) outside the count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def people(department, n, prefix):
    return [
        make_person(f"{prefix}{i}", name=f"人{prefix}{i}", department=department) for i in range(n)
    ]


def projects_with_records(department, n, start=0):
    """n projects, each with a milestone, a receipt, a visit, logged and reviewed by new users."""
    users = people(department, n, f"u{department.pk}-{start}-")
    for i in range(n):
        project = make_project(
            department,
            code=f"Q{department.pk}-{start + i:03d}",
            submitted_by=users[i],
            source_channel="classmate",
            planned_investment=1000 * i,
        )
        on = START + timedelta(days=i)
        make_milestone(project, Stage.INTENT, on, logged_by=users[i], reviewed_by=users[-1 - i])
        make_receipt(project, on + timedelta(days=1), status="pending")
        make_visit(department, on, project=project, logged_by=users[i])


def miss(client, url) -> int:
    """Queries of a list page whose drawn part (filter form, totals, table) is not cached
    yet (projects.listing.list_page_key)."""
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx)


@pytest.mark.parametrize(("persona", "expected"), [("office", (5, 11)), ("liaison", (4, 6))])
def test_project_list(client, request, commerce, persona, expected):
    # Kept drawn (projects.listing): 3. the records version of each department the user
    # reads, 4. the department groups (offered as a filter). A miss builds the filter set
    # and the table: 5. department choices, 6. group choices (read for the drawn filter
    # form's cache key, web.forms), 7.–8. both again (the filter form drawn), 9. count,
    # 10. page of projects with their department and annotations. The liaison of one
    # department has no department or group filter (projects.filters.OneDepartmentFilters):
    # 4–8 go.
    client.force_login(request.getfixturevalue(persona))
    url = reverse("projects:list")
    projects_with_records(commerce, 2)
    few = queries(client, url), miss(client, url)
    projects_with_records(commerce, 30, start=100)
    assert (queries(client, url), miss(client, url)) == few == expected
    assert queries(client, url + "?stage=3&lost=false&q=Q") == few[0]


def test_project_list_filter_form_shows_a_renamed_department_and_the_chosen_values(
    client, office, commerce, finance, django_capture_on_commit_callbacks
):
    """The drawn filter form is kept under a key naming its choices and values: a renamed
    department and another filter value show at once."""
    client.force_login(office)
    url = reverse("projects:list")
    assert "商务局" in client.get(url).content.decode()
    commerce.name = "商务和投资促进局"
    with django_capture_on_commit_callbacks(execute=True):  # its new records version
        save_department(commerce, by=office)
    page = client.get(url).content.decode()
    assert "商务和投资促进局" in page
    page = client.get(url, {"department": finance.pk}).content.decode()
    assert f'<option value="{finance.pk}" selected>' in page


def test_project_list_export_names_every_submitter_in_constant_queries(
    client, office, commerce, finance
):
    # The page's 10 less the choices (2): the export reads the submitters with the rows.
    client.force_login(office)
    url = reverse("projects:list") + "?_export=csv"
    projects_with_records(commerce, 2)
    few = queries(client, url)
    projects_with_records(finance, 30, start=100)
    assert queries(client, url) == few
    text = client.get(url).content.decode("utf-8-sig")
    assert text.count("\n") == 33 and text.count("人u") == 32  # each row names its submitter


@pytest.mark.parametrize(("persona", "expected"), [("office", (6, 13)), ("liaison", (5, 8))])
def test_visit_list(client, request, commerce, persona, expected):
    # Kept drawn (projects.listing): 3. the records version of each department the user
    # reads, 4. the department groups (offered as a filter), 5. the latest change to any
    # Person (the page names who logged each visit). A miss builds the filter set, the
    # totals and the table: 6. department choices, 7. group choices (read for the drawn
    # filter form's cache key, web.forms), 8.–9. both again (the filter form drawn),
    # 10. totals (batches, persons; all and verified), 11. count, 12. page of visits with
    # department, project and logger. The 补录 and status columns read the row itself. The
    # liaison of one department has no department or group filter
    # (projects.filters.OneDepartmentFilters): 4 and 6–9 go.
    client.force_login(request.getfixturevalue(persona))
    url = reverse("projects:visit_list")
    projects_with_records(commerce, 2)
    few = queries(client, url), miss(client, url)
    projects_with_records(commerce, 30, start=100)
    Visit.objects.filter(pk__in=Visit.objects.order_by("pk")[:10]).update(status="pending")
    Visit.objects.update(created_at=datetime(2026, 6, 1, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert (queries(client, url), miss(client, url)) == few == expected


@pytest.mark.parametrize("url_name", ["projects:list", "projects:visit_list", "projects:lead_list"])
def test_department_filters_only_where_they_can_narrow(
    client, liaison, office, commerce, finance, url_name
):
    """The liaison of one department reads that department's rows only: no department or
    group select (both could narrow nothing). A liaison of two departments and the office
    choose among theirs."""
    url = reverse(url_name)
    client.force_login(liaison)
    page = client.get(url).content.decode()
    assert 'name="department"' not in page and 'name="group"' not in page
    # A bookmarked filter of the liaison's own department still lists its rows; another
    # department's id in the query string reaches no row either way.
    for department, name in ((commerce, "本部门"), (finance, "他部门")):
        if url_name == "projects:visit_list":
            make_visit(department, START, investor_org=name)
        else:
            make_project(department, f"Q-{name}", name=name, submitted_by=office)
    assert "本部门" in client.get(url, {"department": commerce.pk}).content.decode()
    assert "他部门" not in client.get(url, {"department": finance.pk}).content.decode()

    two = make_person("liaison_two", department=commerce, liaison_for=[commerce, finance])
    for user in (two, office):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert 'name="department"' in page
        assert f'<option value="{finance.pk}">' in page


def test_lead_list(client, office, commerce, finance):
    # 3. count, 4. counts by submitter, 5. counts by channel, 6. department choices,
    # 7. page of leads with department and submitter.
    client.force_login(office)
    url = reverse("projects:lead_list")
    projects_with_records(commerce, 2)
    few = queries(client, url)
    projects_with_records(finance, 30, start=100)
    assert queries(client, url) == few == 8


def test_my_leads(client, staff_member, commerce):
    # 3. count, 4. page of the user's leads with department and annotations.
    client.force_login(staff_member)
    url = reverse("projects:my_leads")

    def submit(n):
        for i in range(n):
            lead = Project(department=commerce, name=f"线索{i}", source_channel="fair")
            services.submit_lead(lead, by=staff_member, today=date(2026, 6, 1))

    submit(2)
    few = queries(client, url)
    submit(30)
    assert queries(client, url) == few == 5


def test_verification_queue(client, office, commerce, finance):
    # 3. count of pending milestones, 4. count of pending receipts, 5. department choices,
    # 6. page of milestones, 7. page of receipts (each with project, department, logger),
    # added for issue 20: 8. the evidence policy (缺少佐证), 9. count of pending visits,
    # 10. page of visits (with department and logger).
    client.force_login(office)
    url = reverse("projects:queue")
    projects_with_records(commerce, 2)
    Milestone.objects.update(status="pending")
    Visit.objects.update(status="pending")
    few = queries(client, url)
    projects_with_records(finance, 30, start=100)
    Milestone.objects.update(status="pending")
    Visit.objects.update(status="pending")
    assert queries(client, url) == few == 11


def test_returned_list(client, liaison, commerce):
    # 3.-4. counts, 5.-6. pages of returned milestones and receipts (project, department,
    # reviewer); added for issue 20: 7. count and 8. page of returned visits (department,
    # reviewer).
    client.force_login(liaison)
    url = reverse("projects:returned")

    def return_all():
        reviewer = make_person(f"r{Milestone.objects.count()}", name="核实员", office=True)
        Milestone.objects.update(status="returned", return_reason="缺材料", reviewed_by=reviewer)
        Receipt.objects.update(status="returned", return_reason="缺材料", reviewed_by=reviewer)
        Visit.objects.update(status="returned", return_reason="缺接待单", reviewed_by=reviewer)

    projects_with_records(commerce, 2)
    return_all()
    few = queries(client, url)
    projects_with_records(commerce, 30, start=100)
    return_all()
    assert queries(client, url) == few == 9


def test_project_detail(client, office, liaison, commerce):
    # 3. project with department, group and submitter, 4. milestones, 5. receipts, 6. visits
    # (each with the people named), 7. the evidence policy (缺少佐证; added for issue 20),
    # 8.-10. history of project, milestones and receipts, 11. department names and 12. user
    # names the history mentions, 13. the credit decisions naming the project
    # (projects.credit) and 14. the projects denied in its favour.
    client.force_login(office)
    project = make_project(commerce, code="P1")
    url = reverse("projects:detail", args=[project.pk])
    make_milestone(project, Stage.LEAD, START, logged_by=liaison)
    few = queries(client, url)
    users = people(commerce, 6, "d")
    for i, stage in enumerate([Stage.INTENT, Stage.SIGNED]):
        make_milestone(project, stage, START + timedelta(days=i + 1), logged_by=users[i])
    for i in range(6):
        receipt = make_receipt(project, START + timedelta(days=10 + i), status="pending")
        services.verify(receipt, by=users[i])
        make_visit(commerce, START + timedelta(days=i), project=project, logged_by=users[i])
    project.responsible_person = "王明"
    project._history_user = users[5]
    project.save()
    assert queries(client, url) == few == 15
