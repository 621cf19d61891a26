"""The filter panel of a list page (`projects/_filter.html`), cached on all it shows.

A list page's filter form is the same for every request with the same query string, but
for its choices: the departments a user may read, the groups. Rendering it (seventeen
fields, a select of every department) cost about as much as the minimal page itself.

So the panel is cached under a key made of everything its HTML depends on:

- the choices of its model choice fields, read from the database on every request (the
  query the rendering would have run; the rendering then reuses them), so a new
  department, a renamed group or another user's narrower choices make another key;
- the query string (the values shown, the errors found in them, the panel open or not)
  and the path (the "clear" link);
- the active language, the form renderer, and a digest of the code and templates that
  render the form (`code_fingerprint`), so a deploy never serves an older panel.

What a form shows must therefore depend on the request only through its query string and
its model choices: true of the filter sets in `projects.filters`, whose fields and other
choices are declared on the class; a filter set that sets up its fields per request
otherwise must not use the cache.
"""

from __future__ import annotations

import functools
import hashlib

import django
import django_filters
from django.conf import settings
from django.core.cache import cache
from django.forms.models import ModelChoiceIterator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe

from config.fingerprint import code_digest

TEMPLATE = "projects/_filter.html"
TIMEOUT_SECONDS = 24 * 60 * 60
MODULES = ["config.formrender", "projects.filterpanel", "projects.filters"]


@functools.cache
def code_fingerprint() -> str:
    """A digest of the template, modules and translations that render a panel."""
    return code_digest(
        templates=[TEMPLATE],
        modules=MODULES,
        versions=(django.__version__, django_filters.__version__),
    )


def _choices_read_once(form) -> list:
    """The choices read from the database (a model choice field's), as a list fixed on
    the field's widget so that rendering reuses them. Other choices are declared in the
    code (its fingerprint is part of the key).

    (On the widget, not the field: django-filter's fields wrap choices set on them in
    their empty and null labels again.)
    """
    read = []
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(getattr(widget, "choices", None), ModelChoiceIterator):
            # A model choice iterator queries here; iter(): list() would count first.
            choices = list(iter(widget.choices))
            widget.choices = _ReadChoices(choices)
            read.append((name, _as_text(choices)))
    return read


class _ReadChoices(BaseChoiceIterator):
    """Choices already read: an iterator, as a field gives its widget, so that setting
    them does not normalise them again (what iterating them gave is already normal)."""

    def __init__(self, choices: list):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


def _as_text(choices) -> list:
    """Choices with values and (lazy) labels as text: a key the same in every process."""
    return [
        (str(value), _as_text(label) if isinstance(label, (list, tuple)) else str(label))
        for value, label in choices
    ]


def panel_key(request, filterset) -> str:
    parts = repr(
        (
            code_fingerprint(),
            type(filterset).__module__,
            type(filterset).__qualname__,
            translation.get_language(),
            settings.FORM_RENDERER,
            request.path,
            sorted(request.GET.lists()),
            _choices_read_once(filterset.form),
        )
    )
    return f"filterpanel:{hashlib.sha256(parts.encode()).hexdigest()}"


def filter_panel(request, filterset) -> SafeString:
    """The rendered `projects/_filter.html` for this filter set, cached."""
    key = panel_key(request, filterset)
    html = cache.get(key)
    if html is None:
        html = render_to_string(TEMPLATE, {"filter": filterset, "request": request})
        cache.set(key, str(html), TIMEOUT_SECONDS)
    return mark_safe(html)  # noqa: S308  (rendered by the template, autoescaped)
