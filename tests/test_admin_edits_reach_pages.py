"""An edit in the admin reaches every page and export at once (issue 15).

The office renames a department, changes a quota and a metric weight through the admin's
own forms, posted as a browser posts them. After each edit the league page, its CSV and
XLSX exports, the dashboard and the next bulletin show the change. Celery runs in-process
(no broker), so the recompute queued after the admin's commit runs inside the test.
"""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from competition import charts
from competition.league.rows import format_score
from competition.models import DEFAULT_WEIGHTS, Competition, MetricWeight, Quota, Snapshot
from competition.reports import service
from competition.reports.content import percent
from competition.reports.html import render_report_html
from competition.scoring import compute_league
from competition.services import competitions_changed
from projects.models import Stage
from tests.conftest import make_milestone, make_person, make_project, make_visit

TODAY = date(2026, 1, 20)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-01-20 12:00 +08:00")


@pytest.fixture
def superuser(db):
    """A competition-office user who is also the admin's superuser."""
    user = make_person("office_admin", name="竞赛办管理员", office=True)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def comp(commerce, finance, django_capture_on_commit_callbacks):
    """商务局 received one visit and signed one project; 财政局 has nothing yet.

    Today's snapshot is stored and fresh before the test edits anything.
    """
    with django_capture_on_commit_callbacks(execute=True):
        comp = Competition.objects.create(
            name="百日竞赛", start_date=date(2026, 1, 1), end_date=date(2026, 4, 10)
        )
        MetricWeight.objects.bulk_create(
            MetricWeight(competition=comp, metric=m, weight=w) for m, w in DEFAULT_WEIGHTS.items()
        )
        for d in (commerce, finance):
            Quota.objects.create(
                competition=comp,
                department=d,
                visit_batches=10,
                signed_projects=2,
                funds_amount=1000,
            )
        competitions_changed([comp.pk])
        make_visit(commerce, date(2026, 1, 2), persons=2)
        make_milestone(make_project(commerce, "S1"), Stage.SIGNED, date(2026, 1, 4))
    comp.refresh_from_db()
    assert comp.stale_from is None
    assert Snapshot.objects.filter(competition=comp, as_of=TODAY).count() == 2
    return comp


# ---- the admin, as a browser uses it ---------------------------------------------------


def _field_value(value):
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def admin_form_data(response) -> dict:
    """What the browser would post back unchanged: the change form and its inlines."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is False:
                continue  # an unticked checkbox is not posted
            data[form.add_prefix(name)] = "on" if value is True else _field_value(value)
    return data


def admin_change(client, obj, changes: dict, django_capture_on_commit_callbacks) -> None:
    """Open `obj`'s admin change page, edit `changes` (field names as posted), save."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = admin_form_data(page)
    unknown = set(changes) - set(data)
    assert not unknown, f"not fields of the form: {unknown}"
    data.update(changes)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    errors = response.context and response.context["adminform"].form.errors
    assert response.status_code == 302, errors


def quota_row(client, comp, department) -> str:
    """The prefix of `department`'s row in the competition page's quota inline."""
    url = reverse("admin:competition_competition_change", args=[comp.pk])
    formset = next(
        inline.formset
        for inline in client.get(url).context["inline_admin_formsets"]
        if inline.formset.model is Quota
    )
    form = next(f for f in formset.forms if f.instance.department_id == department.pk)
    return form.prefix


# ---- every place a figure is read ------------------------------------------------------


def league_page(client, comp) -> str:
    response = client.get("/league/", {"competition": comp.pk})
    assert response.status_code == 200
    return response.content.decode()


def league_row_cells(html: str, name: str) -> list[str]:
    """The text of the cells of `name`'s row in the league table."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        if f">{name}</a>" in row:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
            return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]
    raise AssertionError(f"{name} has no row on the league page")


def export_rows(client, comp, export: str) -> dict[str, dict[str, str]]:
    """The league export as {department name: {header: cell}}."""
    response = client.get("/league/", {"competition": comp.pk, "_export": export})
    assert response.status_code == 200
    if export == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:] if row and row[0]}


def dashboard_text(client, comp) -> str:
    response = client.get("/dashboard/", {"competition": comp.pk})
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def next_bulletin(comp) -> str:
    """The HTML of the bulletin the office would request now (the PDF is made from it)."""
    report = service.request_report(comp, kind="bulletin", as_of=TODAY)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_report_html(report)))


def expected(comp, name: str):
    """The league row of `name` computed now from the records and settings."""
    rows = compute_league(comp, as_of=TODAY).rows
    return next(r for r in rows if r.department_name == name)


def assert_everywhere(client, comp, name: str, *, score_before: str | None = None) -> None:
    """Every page and export shows `name` with the score the rule gives it now, and the
    stored snapshot was recomputed after the edit's commit (nothing waits for the sweep)."""
    row = expected(comp, name)
    comp.refresh_from_db()
    assert comp.stale_from is None
    stored = Snapshot.objects.get(competition=comp, as_of=TODAY, department_id=row.department_id)
    assert (stored.department_name, format_score(stored.score)) == (name, format_score(row.score))
    csv_rows, xlsx_rows = export_rows(client, comp, "csv"), export_rows(client, comp, "xlsx")
    for rows in (csv_rows, xlsx_rows):
        assert rows[name]["得分"] == format_score(row.score)
    score = percent(row.score)
    assert charts.percent(row.score) in league_row_cells(league_page(client, comp), name)
    # The dashboard's and the bulletin's score charts label each bar "name score".
    assert f"{name} {score}" in dashboard_text(client, comp)
    assert f"{name} {score}" in next_bulletin(comp)
    if score_before is not None:
        assert score != score_before  # the edit did move the score


# ---- the test ---------------------------------------------------------------------------


def test_admin_edits_reach_the_league_exports_dashboard_and_bulletin(
    client, comp, commerce, superuser, django_capture_on_commit_callbacks
):
    client.force_login(superuser)
    assert_everywhere(client, comp, "商务局")

    # 1. The department is renamed.
    admin_change(client, commerce, {"name": "商务和投资促进局"}, django_capture_on_commit_callbacks)
    new = "商务和投资促进局"
    page = league_page(client, comp)
    assert f">{new}</a>" in page and "商务局" not in page
    for export in ("csv", "xlsx"):
        assert set(export_rows(client, comp, export)) == {new, "财政局"}
    assert new in dashboard_text(client, comp) and "商务局" not in dashboard_text(client, comp)
    bulletin = next_bulletin(comp)
    assert new in bulletin and "商务局" not in bulletin
    assert_everywhere(client, comp, new)

    # 2. Its visit quota drops from 10 to 4 (the quota inline of the competition page).
    before = percent(expected(comp, new).score)
    row = quota_row(client, comp, commerce)
    admin_change(client, comp, {f"{row}-visit_batches": "4"}, django_capture_on_commit_callbacks)
    assert Quota.objects.get(competition=comp, department=commerce).visit_batches == 4
    # One visit against 4 × 20% of the window (day 20 of 100): 125% of the timeline target.
    assert "1 / 4 125.0%" in league_row_cells(league_page(client, comp), new)
    bulletin = next_bulletin(comp)
    assert f"1 {new} 1/4 125.0%" in bulletin  # the league: rank, name, visits and ratio
    assert f"综合经济部门（2个） 1 {new}" in bulletin  # first in its group
    assert_everywhere(client, comp, new, score_before=before)

    # 3. The weight of visits goes from 10 to 40 (the metric weight's own page).
    before = percent(expected(comp, new).score)
    weight = MetricWeight.objects.get(competition=comp, metric="visit_batches")
    admin_change(client, weight, {"weight": "40"}, django_capture_on_commit_callbacks)
    assert_everywhere(client, comp, new, score_before=before)
