"""The form renderer: Django's, with the commonest widgets written out in Python.

Django renders every widget through templates: an ``<input>`` is three of them
(``text.html`` → ``input.html`` → ``attrs.html``) and a ``<select>`` two per option.
That cost more than anything else on our filter forms (a department list is hundreds of
options, and a list page's filters are a dozen fields). `FastRenderer` makes the same
HTML in Python for the templates below and leaves every other template to Django, so a
project template that overrides one of them (``templates/django/forms/...``) is used as
is: the Python path is taken only for Django's own templates.

The output is byte for byte what the templates make: `tests/test_formrender.py` renders
every form of the app both ways, and random attributes and choices, and compares them.
"""

from html import escape as _escape

from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import strip_spaces_between_tags
from django.utils.safestring import SafeData, mark_safe

_WIDGETS = "django/forms/widgets/"
# The widget templates that are only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
    )
)
SELECT_TEMPLATE = f"{_WIDGETS}select.html"
OPTION_TEMPLATE = f"{_WIDGETS}select_option.html"
MULTIWIDGET_TEMPLATE = f"{_WIDGETS}multiwidget.html"
# django-filter's range widgets: the two inputs with a dash between them.
RANGE_TEMPLATE = "django_filters/widgets/multiwidget.html"
PYTHON_TEMPLATES = INPUT_TEMPLATES | {SELECT_TEMPLATE, MULTIWIDGET_TEMPLATE, RANGE_TEMPLATE}
_PLAIN_CONTEXT = Context(autoescape=True)
_SELECTED = {"selected": True}


def _as_s(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe string safe."""
    if type(value) is int:  # digits: nothing to format or escape (most option values)
        return str(value)
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031  (the filter's own formatting)
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else _escape(text)


def _var(value) -> str:
    """`{{ value }}` with autoescaping on (localised as the template would)."""
    if isinstance(value, str):  # neither localised nor converted: escaped unless safe
        # _escape is html.escape, what django.utils.html.escape calls, without its
        # lazy-string wrapper: the parts are joined and marked safe once.
        return value if isinstance(value, SafeData) else _escape(value)
    return render_value_in_context(value, _PLAIN_CONTEXT)


def attrs_html(attrs: dict) -> str:
    """`django/forms/widgets/attrs.html`."""
    return "".join(
        f" {_var(name)}" if value is True else f' {_var(name)}="{_as_s(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    """`django/forms/widgets/input.html`."""
    value = widget["value"]
    shown = f' value="{_as_s(value)}"' if value is not None else ""
    return (
        f'<input type="{_var(widget["type"])}" name="{_var(widget["name"])}"{shown}'
        f"{attrs_html(widget['attrs'])}>"
    )


def option_html(option: dict) -> str:
    """`django/forms/widgets/select_option.html`."""
    attrs = option["attrs"]
    shown = "" if not attrs else " selected" if attrs == _SELECTED else attrs_html(attrs)
    return f'<option value="{_as_s(option["value"])}"{shown}>{_var(option["label"])}</option>'


class FastRenderer(DjangoTemplates):
    """Django's default renderer, with `PYTHON_TEMPLATES` written out in Python unless
    an app's templates override them.

    A template rendered by the renderer is stripped (BaseRenderer.render); one included
    by another keeps the whitespace around it in its file (a trailing newline): that is
    learned once per template from the template itself (`_edges`).
    """

    def render(self, template_name, context, request=None):
        html = self._python(template_name, context)
        if html is None:
            return super().render(template_name, context, request=request)
        return mark_safe(html)  # noqa: S308  (every value escaped as the template would)

    def _python(self, template_name: str, context: dict) -> str | None:
        """The stripped output of the template, or None to leave it to the template."""
        if not self._is_djangos(template_name):
            return None
        widget = context["widget"]
        if template_name in INPUT_TEMPLATES:
            return input_html(widget)
        if template_name == SELECT_TEMPLATE:
            return self._select(widget, context)
        subwidgets = [
            self._included(sub["template_name"], {**context, "widget": sub})
            for sub in widget["subwidgets"]
        ]
        if template_name == MULTIWIDGET_TEMPLATE:
            # `{% spaceless %}` around the subwidgets: whitespace between tags goes.
            return strip_spaces_between_tags("".join(subwidgets).strip())
        # RANGE_TEMPLATE: a dash after the first.
        return "".join(html + ("-" if i == 0 else "") for i, html in enumerate(subwidgets)).strip()

    def _select(self, widget: dict, context: dict) -> str:
        """`django/forms/widgets/select.html`."""
        parts = [f'<select name="{_var(widget["name"])}"{attrs_html(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_var(group_name)}">')
            for option in group_choices:
                parts.append("\n  ")
                if option["template_name"] == OPTION_TEMPLATE and self._is_djangos(OPTION_TEMPLATE):
                    before, after = self._edges_of(OPTION_TEMPLATE, {"widget": option})
                    parts.append(f"{before}{option_html(option)}{after}")
                else:
                    parts.append(
                        self._included(option["template_name"], {**context, "widget": option})
                    )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)

    def _included(self, template_name: str, context: dict) -> str:
        """What `{% include template_name %}` outputs: not stripped."""
        html = self._python(template_name, context)
        if html is None:
            return self.get_template(template_name).render(context)
        return self._with_edges(template_name, html, context)

    def _with_edges(self, template_name: str, html: str, context) -> str:
        before, after = self._edges_of(template_name, context)
        return f"{before}{html}{after}"

    def _edges_of(self, template_name: str, context) -> tuple[str, str]:
        """The whitespace around what the template outputs: its file's own."""
        edges = self.__dict__.setdefault("_edges", {})
        if template_name not in edges:
            raw = self.get_template(template_name).render(context)
            stripped = raw.strip()
            start = raw.index(stripped) if stripped else len(raw)
            edges[template_name] = (raw[:start], raw[start + len(stripped) :])
        return edges[template_name]

    def _is_djangos(self, template_name: str) -> bool:
        """Whether the template the engine would use is Django's (or django-filter's) own,
        not one an app overrides."""
        cache = self.__dict__.setdefault("_origins", {})
        if template_name not in cache:
            if template_name not in PYTHON_TEMPLATES | {OPTION_TEMPLATE}:
                cache[template_name] = False
            else:
                origin = self.get_template(template_name).origin.name
                cache[template_name] = origin.endswith(
                    (
                        "/django/forms/templates/" + template_name,
                        "/django_filters/templates/" + template_name,
                    )
                )
        return cache[template_name]
