# Each project's reported progress stored on its row (projects.progress keeps it in step).
# Columns and the records' index first, then the backfill, then the projects' indexes
# (built once over the filled rows).

from datetime import date

from django.db import migrations, models
from django.db.models import (
    Case,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, NullIf

NO_STAGE = -1
FUNDED = 3
REPORTED_STATUSES = ("pending", "verified")


def backfill(apps, schema_editor):
    """What projects.models.progress_expressions computed when this migration was written.

    A frozen copy: the migration must keep meaning the same whatever the code becomes.
    """
    Project = apps.get_model("projects", "Project")
    Milestone = apps.get_model("projects", "Milestone")
    Receipt = apps.get_model("projects", "Receipt")
    counted = Q(
        project=OuterRef("pk"),
        status__in=REPORTED_STATUSES,
        occurred_on__lte=Coalesce(OuterRef("lost_on"), Value(date.max), output_field=DateField()),
    )
    milestones = Milestone.objects.filter(counted)
    receipts = Receipt.objects.filter(counted)
    top_stage = Subquery(milestones.order_by("-stage").values("stage")[:1])
    last_m = Subquery(
        milestones.order_by("-occurred_on").values("occurred_on")[:1], output_field=DateField()
    )
    last_r = Subquery(
        receipts.order_by("-occurred_on").values("occurred_on")[:1], output_field=DateField()
    )
    funded = Case(
        When(Exists(receipts), then=Value(FUNDED)),
        default=Value(NO_STAGE),
        output_field=IntegerField(),
    )
    Project.objects.update(
        stage_reached=NullIf(
            Greatest(
                Coalesce(top_stage, Value(NO_STAGE), output_field=IntegerField()),
                funded,
                output_field=IntegerField(),
            ),
            Value(NO_STAGE),
        ),
        last_milestone_on=Greatest(
            Coalesce(last_m, last_r), Coalesce(last_r, last_m), output_field=DateField()
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="last_milestone_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="最近节点日期"
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="stage_reached",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (0, "信息线索"),
                    (1, "签订意向"),
                    (2, "正式签约"),
                    (3, "资金到账"),
                    (4, "开工建设"),
                ],
                editable=False,
                null=True,
                verbose_name="已达阶段",
            ),
        ),
        # Each subquery of the backfill (and of every refresh) reads one project's records.
        migrations.AddIndex(
            model_name="milestone",
            index=models.Index(
                fields=["project", "status", "occurred_on"], name="milestone_progress"
            ),
        ),
        migrations.AddIndex(
            model_name="receipt",
            index=models.Index(
                fields=["project", "status", "occurred_on"], name="receipt_progress"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(
                fields=["stage_reached", "planned_investment"], name="project_stage"
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["last_milestone_on"], name="project_last_milestone_on"),
        ),
    ]
