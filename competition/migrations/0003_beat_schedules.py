"""The default schedules, stored by django-celery-beat so the office can edit them in the admin."""

from django.db import migrations

NIGHTLY = "每日排名快照 (nightly snapshots)"
SWEEP = "补发未送达的重算 (sweep stale recomputes)"


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="5", hour="0", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Asia/Shanghai",
    )
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NIGHTLY, defaults={"task": "competition.tasks.nightly_snapshots", "crontab": nightly}
    )
    PeriodicTask.objects.get_or_create(
        name=SWEEP, defaults={"task": "competition.tasks.sweep_stale", "interval": every_minute}
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[NIGHTLY, SWEEP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("competition", "0002_recompute_marker"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
