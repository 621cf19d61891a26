"""Selects are drawn by templates/django/forms/widgets/select.html: Django's select.html with
its option template drawn inline (no include per option). It must draw exactly what
Django's own templates draw, for every kind of select."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

from projects.forms import VisitForm

DJANGO = DjangoTemplates()  # Django's own widget templates, whatever FORM_RENDERER says


class OwnOption(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


class Every(forms.Form):
    plain = forms.ChoiceField(choices=[("", "（无）"), ("a", "甲 <乙>"), (3, "3 & 4")], initial="a")
    grouped = forms.ChoiceField(
        choices=[
            ("城区", [("1", "商务局"), ("2", "财政局")]),
            ("县", [("3", "发改委")]),
            ("4", "其他"),
        ],
        initial="3",
    )
    many = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y"), ("z", "Z")], initial=["x", "z"]
    )
    yes_no = forms.NullBooleanField(required=False)
    own_option = forms.ChoiceField(
        choices=[("1", "一"), ("2", "二")],
        widget=OwnOption(),  # an option template of its own: still drawn with it
    )
    narrowed = forms.ChoiceField(
        choices=[("1", "一")],
        widget=forms.Select(attrs={"class": "wide", "data-x": '"quoted"', "disabled": True}),
    )


def test_the_project_renders_with_its_own_select_template():
    renderer = get_default_renderer()
    assert renderer.get_template("django/forms/widgets/select.html").origin.name.endswith(
        "templates/django/forms/widgets/select.html"
    )
    assert (
        "site-packages" not in renderer.get_template("django/forms/widgets/select.html").origin.name
    )


@pytest.mark.parametrize("data", [None, {"plain": "3", "grouped": "4", "many": ["y"]}])
def test_every_select_is_drawn_as_django_draws_it(data):
    ours, django = Every(data), Every(data, renderer=DJANGO)
    for name in ours.fields:
        assert str(ours[name]) == str(django[name]), name
        assert "<select" in str(ours[name])


@pytest.mark.django_db
def test_the_visit_forms_selects_are_drawn_as_django_draws_them(liaison, commerce):
    from departments.roles import roles_of
    from tests.conftest import make_project

    for n in range(3):
        make_project(commerce, f"V{n}", name=f"项目<{n}>")
    ours = VisitForm(roles=roles_of(liaison))
    django = VisitForm(roles=roles_of(liaison), renderer=DJANGO)
    assert str(ours["project"]).count("<option") == 4  # （无） and the three
    for name in ("department", "project"):
        assert str(ours[name]) == str(django[name]), name
