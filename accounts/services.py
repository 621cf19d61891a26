"""Accounts the office manages: create (with a temporary password), deactivate, reactivate,
reset a password. Each is one transaction and one security event."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accounts.events import Kind, record_event
from accounts.models import Profile
from departments.models import Department, Person

# No 0/O, 1/l/I: the temporary password is read aloud or copied from a screen.
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LOWER = "abcdefghijkmnpqrstuvwxyz"
DIGITS = "23456789"
SYMBOLS = "-_#@%+"
TEMPORARY_PASSWORD_LENGTH = 12


def temporary_password(length: int = TEMPORARY_PASSWORD_LENGTH) -> str:
    """A random password with every character class, long enough for every validator."""
    alphabet = UPPER + LOWER + DIGITS + SYMBOLS
    chars = [secrets.choice(group) for group in (UPPER, LOWER, DIGITS, SYMBOLS)]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@dataclass(frozen=True)
class NewAccount:
    username: str
    name: str
    phone: str = ""
    department: Department | None = None
    liaison_for: tuple[Department, ...] = ()
    is_office: bool = False
    is_leader: bool = False


def _must_change(user, *, by) -> None:
    Profile.objects.update_or_create(
        user=user, defaults={"must_change_password": True, "created_by": by}
    )


def create_account(account: NewAccount, *, by, request=None) -> tuple[object, str]:
    """Create the login and its Person; return (user, the temporary password, shown once).

    The password must be changed at the first login. Office accounts may use the admin.
    """
    user_model = get_user_model()
    password = temporary_password()
    with transaction.atomic():
        user = user_model(
            username=account.username, first_name=account.name, is_staff=account.is_office
        )
        validate_password(password, user)
        user.set_password(password)
        user.save()
        person = Person(
            user=user,
            name=account.name,
            phone=account.phone,
            department=account.department,
            is_office=account.is_office,
            is_leader=account.is_leader,
        )
        person._history_user = by
        person.save()
        person.liaison_for.set(account.liaison_for)
        _must_change(user, by=by)
        record_event(
            Kind.ACCOUNT_CREATED,
            request=request,
            user=by,
            username=user.get_username(),
            detail=_roles_text(account),
        )
    return user, password


def _roles_text(account: NewAccount) -> str:
    roles = []
    if account.is_office:
        roles.append("office")
    if account.is_leader:
        roles.append("leader")
    if account.liaison_for:
        roles.append("liaison:" + ",".join(d.name for d in account.liaison_for))
    if account.department is not None:
        roles.append("staff:" + account.department.name)
    return " ".join(roles)


def reset_password(user, *, by, request=None) -> str:
    """Give `user` a new temporary password (shown once) to be changed at the next login.

    Changing the password ends the user's open sessions.
    """
    password = temporary_password()
    with transaction.atomic():
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        _must_change(user, by=by)
        record_event(Kind.PASSWORD_RESET, request=request, user=by, username=user.get_username())
    return password


def set_active(user, *, active: bool, by, request=None) -> bool:
    """Deactivate or reactivate a login (User.is_active); False if it already was so.

    A deactivated user cannot log in and their open sessions stop working at once (Django's
    ModelBackend refuses inactive users); their records and history stay.
    """
    with transaction.atomic():
        changed = (
            get_user_model()
            .objects.filter(pk=user.pk, is_active=not active)
            .update(is_active=active)
        )
        if changed:
            record_event(
                Kind.ACCOUNT_REACTIVATED if active else Kind.ACCOUNT_DEACTIVATED,
                request=request,
                user=by,
                username=user.get_username(),
            )
    user.is_active = active
    return bool(changed)


def password_changed(user, *, request=None) -> None:
    """The user replaced their password: no longer forced to, and logged as an event."""
    Profile.objects.update_or_create(
        user=user, defaults={"must_change_password": False, "password_changed_at": timezone.now()}
    )
    record_event(Kind.PASSWORD_CHANGED, request=request, user=user)
