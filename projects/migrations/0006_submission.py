# The create forms' one-time tokens (projects.services: a form posted twice stores once).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0005_bounds"),
    ]

    operations = [
        migrations.CreateModel(
            name='Submission',
            fields=[
                ('token', models.UUIDField(primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('project', '项目'), ('lead', '信息'), ('milestone', '阶段节点'), ('receipt', '资金到账'), ('visit', '客商接待')], max_length=10)),
                ('object_id', models.PositiveBigIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
