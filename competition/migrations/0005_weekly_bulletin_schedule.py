"""The weekly bulletin schedule, stored by django-celery-beat so the office can edit it."""

from django.db import migrations

WEEKLY = "每周简报 (weekly bulletins)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Monday 07:30: last week's figures (up to Sunday) are ready before the working day.
    monday, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="7", day_of_week="1", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=WEEKLY, defaults={"task": "competition.tasks.weekly_bulletins", "crontab": monday}
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=WEEKLY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("competition", "0004_reports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
