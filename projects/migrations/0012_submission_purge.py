"""Create forms' one-time tokens purged nightly past SUBMISSION_KEEP_DAYS: the schedule,
editable in the admin, and an index on the date the purge reads."""

from django.db import migrations, models

PURGE = "清理过期表单编号 (purge create forms' one-time tokens)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=PURGE,
        defaults={"task": "projects.tasks.purge_old_submissions", "crontab": nightly},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=PURGE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0011_visit_investor_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(fields=["created_at"], name="submission_created"),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
