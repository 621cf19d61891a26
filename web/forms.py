"""Drawn forms kept on the "pages" cache under a key naming what they show."""

import hashlib
from dataclasses import dataclass

from django.forms import BoundField, ChoiceField, ModelChoiceField


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
    keys = field_cache_keys(form, outside=outside)
    return None if keys is None else _digest(list(keys.items()))


def field_cache_keys(form, *, outside: tuple[str, ...] = ()) -> dict[str, str] | None:
    """Each field's own key (by name, in the form's order): what `form_cache_key` names
    of it, with the form's class and the field's name and id as drawn, so that a field
    is never taken for another form's. None when the form has errors."""
    if form.errors:
        return None
    keys = {}
    for name, field in form.fields.items():
        if name in outside:
            continue
        bound, widget = form[name], field.widget
        parts = [
            type(form).__qualname__,
            name,
            bound.html_name,
            bound.auto_id,
            repr(bound.value()),
            str(field.label),
            str(field.help_text),
            field.required,
            field.disabled,
            type(widget).__name__,
            sorted((k, str(v)) for k, v in widget.attrs.items()),
        ]
        if isinstance(field, ModelChoiceField) and getattr(field, "label_columns", None):
            parts.append(list(field.queryset.values_list("pk", *field.label_columns)))
        elif isinstance(field, ModelChoiceField):
            parts.append([(obj.pk, field.label_from_instance(obj)) for obj in field.queryset])
        elif isinstance(field, ChoiceField):
            parts.append([(value, str(label)) for value, label in field.choices])
        keys[name] = _digest(parts)
    return keys


def labelled_by(field: ModelChoiceField, *columns: str) -> None:
    """Declare that `field`'s options are labelled from these columns of its queryset's
    rows and nothing else: its key then reads them as values, not as model instances.
    The visit form's project select (a department's open projects, "code name") was 36% of
    the form's CPU on a hit, building a Project for every option to name the key."""
    field.label_columns = columns


@dataclass(frozen=True)
class CreateFormKey:
    """The keys of a create form shown empty: `whole` for all its fields drawn together
    (what a showing looks up), and each visible field's own (`visible`: pairs of the bound
    field and its key), looked up only when `whole` misses. A change to one field (a new
    project among the visit form's choices, the next free stage of a milestone) draws
    that field again and takes the others as they were drawn."""

    whole: str
    visible: list[tuple[BoundField, str]]


def create_form_key(request, form) -> CreateFormKey | None:
    """The cache keys of a create form shown empty (a GET): its one-time token (the
    `submission` field, projects.forms.OneTimeSubmission) is drawn outside the cached
    part, so every showing still gets a token of its own. None for a posted form."""
    if request.method != "GET":
        return None
    keys = field_cache_keys(form, outside=("submission",))
    if keys is None:
        return None
    visible = [(field, keys[field.name]) for field in form.visible_fields() if field.name in keys]
    return CreateFormKey(whole=_digest(list(keys.items())), visible=visible)


def _digest(parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()
