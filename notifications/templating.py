"""Django's template language for e-mail text: plain text, so nothing is HTML-escaped."""

from django.template import Engine, Template

# Only the default tags and filters; no autoescape (the e-mails are text/plain).
ENGINE = Engine(autoescape=False)


def compile_template(text: str) -> Template:
    """The template of `text` (raises TemplateSyntaxError)."""
    return ENGINE.from_string(text)
