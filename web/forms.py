"""Drawn forms kept on the "pages" cache under a key naming what they show."""

import hashlib

from django.forms import ModelChoiceField


def form_cache_key(form) -> str | None:
    """What a bound form's fields show when drawn, for `{% cache %}` on the "pages" alias
    (with the language): each field's value as it is drawn and, for a field choosing
    among records, every choice (its key and label, read here by the query the drawing
    would run). None when the form has errors: it is drawn, with them, every time.

    The key names the data itself, so an entry is never stale: a department renamed,
    added or out of the user's reach is another key. A hit skips Django's drawing of
    every option (one template per option: a select of 100 departments is most of the
    office's filter form) and the choices' second reading; a miss reads them twice.
    """
    if form.errors:
        return None
    parts = []
    for name, field in form.fields.items():
        parts.append((name, repr(form[name].value())))
        if isinstance(field, ModelChoiceField):
            parts.append([(obj.pk, field.label_from_instance(obj)) for obj in field.queryset])
    return hashlib.sha256(repr(parts).encode()).hexdigest()
