"""Create forms shown empty are drawn once and kept on the "pages" cache under a key naming
what every field shows (web.forms.create_form_key): the one-time token stays new on every
showing, and whatever changes what a field shows (a project added, a limit and its help
text, the language) is another key, never a stale form."""

import re

import pytest
from django.forms.boundfield import BoundField
from django.urls import reverse

from tests.conftest import make_project

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
