"""Argument helpers shared by the competition commands."""

from datetime import date

from django.core.management.base import CommandError

from competition.models import Competition


def competition_named(name: str) -> Competition:
    try:
        return Competition.objects.get(name=name)
    except Competition.DoesNotExist:
        raise CommandError(f"找不到名称为“{name}”的竞赛。") from None


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期“{text}”格式不对，应为 YYYY-MM-DD。") from None
