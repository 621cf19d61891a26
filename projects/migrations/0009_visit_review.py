# Issue 20: visits are reviewed like milestones and receipts; the evidence policy; the
# 补录 flag's exception for ledger imports; why a record was verified without evidence.
# Existing visits (and their history rows) become verified: they were counted until now,
# so no figure moves. The policy's defaults are stored as the office's first rows.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


POLICY_DEFAULTS = [
    ("intent", False, "意向书"),
    ("signed", True, "合同"),
    ("funded", True, "到账凭证"),
    ("groundbreaking", True, "开工照片"),
    ("visit", False, "接待单或照片"),
]


def visits_verified(apps, schema_editor):
    for name in ("Visit", "HistoricalVisit"):
        apps.get_model("projects", name).objects.update(status="verified")


def policy_defaults(apps, schema_editor):
    EvidencePolicy = apps.get_model("projects", "EvidencePolicy")
    for kind, required, document in POLICY_DEFAULTS:
        EvidencePolicy.objects.get_or_create(
            kind=kind, defaults={"required": required, "document": document}
        )


class Migration(migrations.Migration):

    dependencies = [
        ('departments', '0002_department_order'),
        ('projects', '0008_evidence_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EvidencePolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('intent', '签订意向'), ('signed', '正式签约'), ('funded', '资金到账'), ('groundbreaking', '开工建设'), ('visit', '客商接待')], max_length=20, unique=True, verbose_name='记录类别')),
                ('required', models.BooleanField(default=False, verbose_name='核实时必须有佐证')),
                ('document', models.CharField(blank=True, help_text='如：合同、到账凭证、开工照片。', max_length=50, verbose_name='佐证材料')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
            ],
            options={
                'verbose_name': '佐证要求',
                'verbose_name_plural': '佐证要求',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalEvidencePolicy',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(choices=[('intent', '签订意向'), ('signed', '正式签约'), ('funded', '资金到账'), ('groundbreaking', '开工建设'), ('visit', '客商接待')], db_index=True, max_length=20, verbose_name='记录类别')),
                ('required', models.BooleanField(default=False, verbose_name='核实时必须有佐证')),
                ('document', models.CharField(blank=True, help_text='如：合同、到账凭证、开工照片。', max_length=50, verbose_name='佐证材料')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='更新时间')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical 佐证要求',
                'verbose_name_plural': 'historical 佐证要求',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='historicalmilestone',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='historicalmilestone',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddField(
            model_name='historicalreceipt',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='historicalreceipt',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='evidence',
            field=models.TextField(blank=True, max_length=100, verbose_name='佐证材料'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='return_reason',
            field=models.TextField(blank=True, verbose_name='退回原因'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='核实时间'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='核实人'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='status',
            field=models.CharField(choices=[('pending', '待核实'), ('verified', '已核实'), ('returned', '已退回')], db_index=True, default='pending', max_length=10, verbose_name='核实状态'),
        ),
        migrations.AddField(
            model_name='historicalvisit',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddField(
            model_name='milestone',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='milestone',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddField(
            model_name='receipt',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='receipt',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddField(
            model_name='visit',
            name='evidence',
            field=models.FileField(blank=True, upload_to='evidence/%Y/%m/', verbose_name='佐证材料'),
        ),
        migrations.AddField(
            model_name='visit',
            name='imported',
            field=models.BooleanField(default=False, editable=False, verbose_name='台账导入'),
        ),
        migrations.AddField(
            model_name='visit',
            name='return_reason',
            field=models.TextField(blank=True, verbose_name='退回原因'),
        ),
        migrations.AddField(
            model_name='visit',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='核实时间'),
        ),
        migrations.AddField(
            model_name='visit',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='核实人'),
        ),
        migrations.AddField(
            model_name='visit',
            name='status',
            field=models.CharField(choices=[('pending', '待核实'), ('verified', '已核实'), ('returned', '已退回')], db_index=True, default='pending', max_length=10, verbose_name='核实状态'),
        ),
        migrations.AddField(
            model_name='visit',
            name='verified_without_evidence_reason',
            field=models.TextField(blank=True, verbose_name='无佐证核实理由'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['status', 'occurred_on'], name='visit_status_occurred_on'),
        ),
        migrations.AddField(
            model_name='historicalevidencepolicy',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(visits_verified, migrations.RunPython.noop),
        migrations.RunPython(policy_defaults, migrations.RunPython.noop),
    ]
