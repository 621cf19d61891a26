"""The weekly summary to the liaisons, stored by django-celery-beat so the office can
edit or pause it in the admin."""

from django.db import migrations

WEEKLY_SUMMARY = "每周小结 (weekly summaries to liaisons)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Monday 08:00: after the night's snapshots and the bulletin's request (07:30).
    monday, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="8", day_of_week="1", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=WEEKLY_SUMMARY,
        defaults={"task": "competition.tasks.weekly_summaries", "crontab": monday},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=WEEKLY_SUMMARY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("competition", "0007_cards"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
