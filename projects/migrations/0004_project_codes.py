# Project codes get their format (letters, digits, hyphens, at most 20; a validator, no
# column change; existing codes are left as they are) and automatic numbers their own
# counter per year.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0003_project_industry_stage"),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalproject',
            name='code',
            field=models.CharField(db_index=True, max_length=40, validators=[django.core.validators.RegexValidator('\\A(?=[A-Za-z0-9-]{1,20}\\Z)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\\Z', code='invalid_code', message='项目编号只能由字母、数字和连字符（-）组成，以字母或数字开头和结尾，不超过20个字符，如 XM-2026-0001。')], verbose_name='项目编号'),
        ),
        migrations.AlterField(
            model_name='project',
            name='code',
            field=models.CharField(max_length=40, unique=True, validators=[django.core.validators.RegexValidator('\\A(?=[A-Za-z0-9-]{1,20}\\Z)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\\Z', code='invalid_code', message='项目编号只能由字母、数字和连字符（-）组成，以字母或数字开头和结尾，不超过20个字符，如 XM-2026-0001。')], verbose_name='项目编号'),
        ),
        migrations.CreateModel(
            name='CodeCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('prefix', models.CharField(max_length=10)),
                ('year', models.PositiveSmallIntegerField()),
                ('last', models.PositiveIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('prefix', 'year'), name='one_code_counter_per_year')],
            },
        ),
    ]
