"""config.formrender.FastRenderer makes exactly the HTML of Django's widget templates.

Two ways: every widget it writes out, with random names, values, attributes and choices
(hypothesis), rendered by both renderers; and the app's pages with forms, fetched once
with each renderer and compared whole.
"""

import re
from datetime import date
from functools import cached_property
from pathlib import Path

import django.forms
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings
from django.utils.safestring import mark_safe
from django_filters.widgets import DateRangeWidget
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.formrender import FastRenderer
from tests.conftest import make_competition, make_milestone, make_project, make_visit

FAST, STOCK = FastRenderer(), DjangoTemplates()

# Text that needs escaping, Chinese, and the characters templates treat specially.
text = st.text(alphabet=st.sampled_from(list("ab 中文<>&\"'%{}-_=\n")), max_size=8)
attr_value = st.one_of(
    st.booleans(),
    text,
    text.map(mark_safe),
    st.integers(-5, 10**6),
    st.decimals(places=2, min_value=-1000, max_value=10**6, allow_nan=False),
    st.dates(),
)
attr_name = st.sampled_from(
    ["class", "id", "placeholder", "required", "data-x", "min", "maxlength"]
)
attrs = st.dictionaries(attr_name, attr_value, max_size=4)
value = st.one_of(st.none(), text, st.integers(), st.dates(), text.map(mark_safe))
choice_label = st.one_of(text, text.map(mark_safe), st.integers())
choices = st.lists(st.tuples(st.one_of(text, st.integers()), choice_label), max_size=5)
grouped = st.lists(
    st.one_of(
        st.tuples(st.one_of(text, st.integers()), choice_label),
        st.tuples(text.filter(bool), choices),
    ),
    max_size=4,
)

INPUTS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
]


def both(widget, name, value, attrs):
    return (
        widget.render(name, value, attrs=attrs, renderer=FAST),
        widget.render(name, value, attrs=attrs, renderer=STOCK),
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(kind=st.sampled_from(INPUTS), name=text, value=value, attrs=attrs, own=attrs)
def test_inputs_match_the_templates(kind, name, value, attrs, own):
    fast, stock = both(kind(attrs=own), name, value, attrs)
    assert fast == stock


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=text, choices=grouped, attrs=attrs, picked=st.one_of(text, st.integers(), st.none()))
def test_selects_match_the_templates(name, choices, attrs, picked):
    for widget in (forms.Select(choices=choices), forms.SelectMultiple(choices=choices)):
        fast, stock = both(widget, name, picked, attrs)
        assert fast == stock


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=text, first=st.one_of(st.none(), st.dates()), second=st.one_of(st.none(), text))
def test_multiwidgets_match_the_templates(name, first, second):
    for widget in (
        forms.SplitDateTimeWidget(),
        DateRangeWidget(),
        forms.MultiWidget([forms.TextInput(), forms.Select(choices=[(1, "一")])]),
    ):
        fast, stock = both(widget, name, [first, second], {"id": "x"})
        assert fast == stock


def test_a_template_overridden_by_an_app_is_rendered_by_the_template(tmp_path):
    """The Python path is taken only for Django's own templates."""
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text('<input class="ours" name="{{ widget.name }}">')

    class WithOverride(FastRenderer):
        @cached_property
        def engine(self):
            djangos = Path(django.forms.__file__).parent / "templates"
            return self.backend(
                {"APP_DIRS": True, "DIRS": [tmp_path, djangos], "NAME": "x", "OPTIONS": {}}
            )

    renderer = WithOverride()
    assert forms.TextInput().render("q", "x", renderer=renderer) == '<input class="ours" name="q">'
    # The others are still Django's own, and written out in Python.
    assert forms.NumberInput().render("n", 1, renderer=renderer) == (
        '<input type="number" name="n" value="1">'
    )


# Whole pages ---------------------------------------------------------------------------
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def data(commerce, finance, liaison):
    competition = make_competition(commerce)
    project = make_project(commerce, code="P<1>", name='项目 "甲" & <乙>', planned_investment=9000)
    milestone = make_milestone(project, 1, date(2026, 3, 5), status="pending")
    visit = make_visit(commerce, date(2026, 3, 6), project=project)
    return {"competition": competition, "project": project, "milestone": milestone, "visit": visit}


def pages(data):
    p, m, v = data["project"].pk, data["milestone"].pk, data["visit"].pk
    c = data["competition"].pk
    return [
        ("office", "/projects/"),
        ("office", "/projects/?q=<x>&stage=9&high_tech=true&last_min=bad&last_max=2026-03-01"),
        ("office", "/projects/?department=999&industry=industrial&sort=-planned_investment"),
        ("office", "/projects/leads/"),
        ("office", "/projects/visits/?date_min=2026-03-01&has_project=false"),
        ("office", "/projects/verification/"),
        ("office", "/accounts/people/new/"),
        ("office", f"/league/?competition={c}&as_of=2026-03-20"),
        ("office", f"/league/?competition={c}&as_of=bad"),
        ("liaison", f"/projects/{p}/edit/"),
        ("liaison", f"/projects/{p}/lost/"),
        ("liaison", f"/projects/{p}/milestones/new/"),
        ("liaison", f"/projects/{p}/receipts/new/"),
        ("liaison", f"/projects/milestones/{m}/edit/"),
        ("liaison", f"/projects/visits/{v}/edit/"),
        ("liaison", "/projects/visits/new/"),
        ("liaison", "/projects/leads/new/"),
        ("liaison", "/projects/new/"),
        ("liaison", "/accounts/password/"),
    ]


@pytest.mark.django_db
def test_every_page_with_a_form_is_the_same_with_either_renderer(client, data, office, liaison):
    users = {"office": office, "liaison": liaison}
    fetched = {}
    for renderer in ("config.formrender.FastRenderer", "django.forms.renderers.DjangoTemplates"):
        with override_settings(FORM_RENDERER=renderer):
            for who, url in pages(data):
                client.force_login(users[who])
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                fetched.setdefault((who, url), []).append(CSRF.sub(b"", response.content))
    for (_who, url), (fast, stock) in fetched.items():
        assert b"<input" in fast or b"<select" in fast, url
        assert fast == stock, url
