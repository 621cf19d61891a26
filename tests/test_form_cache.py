"""Create forms shown empty are drawn once and kept on the "pages" cache under a key naming
what every field shows (web.forms.create_form_key): the one-time token stays new on every
showing, and whatever changes what a field shows (a project added, a limit and its help
text, the language) is another key, never a stale form."""

import re

import pytest
from django import forms
from django.core.cache import caches
from django.forms.boundfield import BoundField
from django.urls import reverse

from tests.conftest import make_project
from web.forms import field_cache_keys

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')
VISIT_FORM = reverse("projects:visit_create")


@pytest.fixture
def drawn(monkeypatch):
    """The names of the fields drawn (each one a cache miss of its form)."""
    names = []
    original = BoundField.as_widget

    def as_widget(self, *args, **kwargs):
        names.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BoundField, "as_widget", as_widget)
    return names


def show(client, url) -> tuple[str, str]:
    """The page without its tokens (CSRF and one-time), and its one-time token."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    token = TOKEN.search(html).group(1)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", TOKEN.sub("", html))
    return html, token


def test_a_create_form_is_drawn_once_with_a_new_token_each_time(client, liaison, commerce, drawn):
    client.force_login(liaison)
    first, first_token = show(client, VISIT_FORM)
    assert "investor_org" in drawn and "submission" in drawn
    drawn.clear()
    again, again_token = show(client, VISIT_FORM)
    assert drawn == ["submission"]  # only the token is drawn again
    assert again == first and again_token != first_token


def test_what_a_field_shows_is_part_of_the_key(client, liaison, commerce, drawn, settings):
    client.force_login(liaison)
    show(client, VISIT_FORM)
    drawn.clear()

    make_project(commerce, code="P9", name="新的在谈项目")  # a new choice of the project select
    html, _ = show(client, VISIT_FORM)
    assert "新的在谈项目" in html and "project" in drawn
    drawn.clear()

    settings.VISIT_MAX_PERSONS = 99  # the persons field's help text and max attribute
    html, _ = show(client, VISIT_FORM)
    assert "persons" in drawn and "每批最多99人。" in html and 'max="99"' in html
    drawn.clear()

    client.post(reverse("set_language"), {"language": "en", "next": VISIT_FORM})
    html, _ = show(client, VISIT_FORM)
    assert "investor_org" in drawn and 'lang="en"' in html


def test_a_posted_form_with_errors_is_drawn_with_them(client, liaison, commerce, drawn):
    client.force_login(liaison)
    show(client, VISIT_FORM)
    drawn.clear()
    response = client.post(VISIT_FORM, {"department": commerce.pk, "persons": "0"})
    html = response.content.decode()
    assert response.status_code == 200 and "investor_org" in drawn
    assert 'class="field has-error required"' in html


@pytest.mark.parametrize("kind", ["project", "milestone"])
def test_the_other_create_forms_are_kept_too(client, liaison, commerce, drawn, kind):
    client.force_login(liaison)
    url = reverse("projects:create")
    if kind == "milestone":
        url = reverse("projects:milestone_create", args=[make_project(commerce).pk])
    first, first_token = show(client, url)
    drawn.clear()
    again, again_token = show(client, url)
    assert drawn == ["submission"] and again == first and again_token != first_token


def test_a_change_to_one_field_draws_that_field_only(client, liaison, commerce, drawn):
    """When the whole form misses (a new project among the visit form's choices), each
    field is looked up under its own key: the project select is drawn again, the other
    fields are taken as they were drawn, and the page is the one drawn from scratch."""
    client.force_login(liaison)
    show(client, VISIT_FORM)
    drawn.clear()

    make_project(commerce, code="P9", name="新的在谈项目")
    html, _ = show(client, VISIT_FORM)
    assert "新的在谈项目" in html and "project" in drawn
    others = {"occurred_on", "investor_org", "persons", "host", "purpose", "evidence"}
    assert not others & set(drawn)  # hidden inputs (the department) are drawn each miss

    drawn.clear()
    caches["pages"].clear()
    from_scratch, _ = show(client, VISIT_FORM)
    assert "investor_org" in drawn and "project" in drawn
    assert from_scratch == html


@pytest.mark.parametrize("column", ["code", "name"])
def test_a_project_renamed_is_another_key_of_the_visit_forms_select(
    client, liaison, commerce, drawn, column
):
    """The project select's key reads its options' labels as values (web.forms.labelled_by):
    a new code or name of a project is another key, and the option shows it."""
    project = make_project(commerce, code="P1", name="老名字")
    client.force_login(liaison)
    show(client, VISIT_FORM)
    drawn.clear()
    setattr(project, column, {"code": "P1-NEW", "name": "新名字"}[column])
    project.save()
    html, _ = show(client, VISIT_FORM)
    assert "project" in drawn
    assert str(project) in html


def test_the_visit_forms_select_is_keyed_without_building_a_project_per_option(
    liaison, commerce, monkeypatch
):
    from departments.roles import roles_of
    from projects.forms import VisitForm
    from projects.models import Project

    for n in range(3):
        make_project(commerce, code=f"P{n}")
    form = VisitForm(roles=roles_of(liaison))
    built = []
    original = Project.from_db.__func__
    monkeypatch.setattr(
        Project, "from_db", classmethod(lambda cls, *a: built.append(1) or original(cls, *a))
    )
    keys = field_cache_keys(form)
    assert "project" in keys and built == []
    field = form.fields["project"]  # the columns named are what its labels show
    assert [field.label_from_instance(p) for p in field.queryset] == [
        " ".join(row[1:]) for row in field.queryset.values_list("pk", *field.label_columns)
    ]


def test_a_field_is_never_taken_for_another_forms():
    """Two forms with the same field keep their own entries: a field's key names the
    form's class and the field's name and id as drawn."""

    class First(forms.Form):
        when = forms.DateField(label="日期")

    class Second(forms.Form):
        when = forms.DateField(label="日期")

    assert field_cache_keys(First()) == field_cache_keys(First())
    assert field_cache_keys(First())["when"] != field_cache_keys(Second())["when"]
    assert field_cache_keys(First())["when"] != field_cache_keys(First(prefix="x"))["when"]
