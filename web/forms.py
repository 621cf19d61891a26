"""Drawn forms kept on the "pages" cache under a key naming what they show."""

import hashlib

from django.forms import ChoiceField, ModelChoiceField


def form_cache_key(form, *, outside: tuple[str, ...] = ()) -> str | None:
    """What a form's fields show when drawn, for `{% cache %}` on the "pages" alias
    (with the language): each field's value as it is drawn, its label, help text, whether
    it is required and its widget with its attributes, and, for a field choosing among
    records, every choice (its key and label, read here by the query the drawing would
    run). None when the form has errors: it is drawn, with them, every time. `outside`:
    fields the template draws outside the cached part (a one-time token).

    The key names the data itself, so an entry is never stale: a department renamed,
    added or out of the user's reach, evidence made required, is another key. A hit skips
    Django's drawing of every field and option (one template per option: a select of 100
    departments is most of the office's filter form) and the choices' second reading; a
    miss reads them twice.
    """
    if form.errors:
        return None
    parts = []
    for name, field in form.fields.items():
        if name in outside:
            continue
        widget = field.widget
        parts.append(
            (
                name,
                repr(form[name].value()),
                str(field.label),
                str(field.help_text),
                field.required,
                type(widget).__name__,
                sorted((k, str(v)) for k, v in widget.attrs.items()),
            )
        )
        if isinstance(field, ModelChoiceField):
            parts.append([(obj.pk, field.label_from_instance(obj)) for obj in field.queryset])
        elif isinstance(field, ChoiceField):
            parts.append([(value, str(label)) for value, label in field.choices])
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def create_form_key(request, form) -> str | None:
    """The cache key of a create form shown empty (a GET): its one-time token (the
    `submission` field, projects.forms.OneTimeSubmission) is drawn outside the cached
    part, so every showing still gets a token of its own. None for a posted form."""
    if request.method != "GET":
        return None
    return form_cache_key(form, outside=("submission",))
