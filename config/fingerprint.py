"""A digest of the code that renders something cached: part of every such cache key.

A deploy that changes a template, a module or a translation that shapes cached HTML
changes the digest, so a shared cache (Redis) never serves what older code rendered.
"""

import hashlib
import importlib
import inspect
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template


def code_digest(*, templates: list[str], modules: list[str], versions: tuple = ()) -> str:
    """The digest of `templates` and `modules` (their files), every compiled translation,
    and `versions` (of the libraries whose own templates take part, and settings)."""
    digest = hashlib.sha256()
    paths = [Path(get_template(name).origin.name) for name in templates]
    paths += [Path(inspect.getfile(importlib.import_module(name))) for name in modules]
    for locale_dir in settings.LOCALE_PATHS:
        paths += sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.mo"))
    for path in paths:
        digest.update(path.read_bytes())
    digest.update(repr(versions).encode())
    return digest.hexdigest()[:16]
