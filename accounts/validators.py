"""Password rules of 等保 2.0: at least 8 characters of at least three character classes.

One validator for both, with Chinese messages: Django 5.2's MinimumLengthValidator has a
message its Chinese catalogue does not translate yet, so it would answer in English.
"""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("upper", lambda c: c in string.ascii_uppercase),
    ("lower", lambda c: c in string.ascii_lowercase),
    ("digit", lambda c: c in string.digits),
    # Anything else counts as "other": punctuation, spaces, Chinese characters.
    ("other", lambda c: not (c in string.ascii_letters or c in string.digits)),
)


def character_classes(password: str) -> set[str]:
    """Which of upper case, lower case, digits and other characters `password` uses."""
    return {name for name, member in CLASSES if any(member(c) for c in password)}


class ComplexityValidator:
    """At least `min_length` characters, of at least `min_classes` of the four classes:
    upper case, lower case, digits, other characters."""

    def __init__(self, min_length: int = 8, min_classes: int = 3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password, user=None):
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    _("密码太短，至少需要%(n)d个字符。") % {"n": self.min_length},
                    code="password_too_short",
                )
            )
        if len(character_classes(password)) < self.min_classes:
            errors.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、其他符号中的至少%(n)d类。")
                    % {"n": self.min_classes},
                    code="password_too_simple",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return _(
            "密码至少%(length)d个字符，须包含大写字母、小写字母、数字、其他符号中的至少%(classes)d类。"
        ) % {"length": self.min_length, "classes": self.min_classes}
