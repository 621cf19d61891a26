"""Request-body limits (README, Production): explicit, and large enough for the biggest
form the office submits, a competition with a quota for each of 100 departments."""

from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from competition.models import Competition, Quota
from departments.models import Department

DEPARTMENTS = 100  # DOMAIN.md: 30-100 city departments take part


class FormFields(HTMLParser):
    """The (name, value) pairs a browser would submit for the page's main form."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            default = "on" if a.get("type") in ("checkbox", "radio") else ""
            self.pairs.append((name, a.get("value") or default))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.pairs.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.pairs.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.pairs[-1]
            self.pairs[-1] = (name, value + data)


def test_the_limits_are_set_explicitly(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 5000


@pytest.mark.django_db
def test_the_office_saves_a_competition_with_quotas_for_100_departments(admin_client):
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    for n in range(DEPARTMENTS):
        department = Department.objects.create(name=f"部门{n:03d}", order=n)
        Quota.objects.create(competition=competition, department=department, signed_projects=1)
    url = reverse("admin:competition_competition_change", args=[competition.pk])
    parser = FormFields()
    parser.feed(admin_client.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in parser.pairs:
        data.setdefault(name, []).append(value)
    data = {k: v if len(v) > 1 else v[0] for k, v in data.items() if not k.startswith("_")}
    for n in range(DEPARTMENTS):
        data[f"quotas-{n}-signed_projects"] = "2"
    assert len(data) > 1000  # Django's default limit

    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(competition.quotas.values_list("signed_projects", flat=True)) == {2}


@pytest.mark.django_db
def test_a_request_past_the_limits_gets_a_page_in_chinese_not_a_bare_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    data = {f"field{i}": "x" for i in range(50)}

    response = client.post(reverse("login"), data)

    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
    assert "系统没有保存任何内容" in response.content.decode()
