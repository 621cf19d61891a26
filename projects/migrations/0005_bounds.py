# Amounts (万元) and persons per visit get upper bounds: validators only, no column change.

import django.core.validators
import projects.models
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0004_project_codes"),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalproject',
            name='planned_investment',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0, message='金额不能为负数。'), django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='计划总投资(万元)'),
        ),
        migrations.AlterField(
            model_name='historicalproject',
            name='registered_capital',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0, message='金额不能为负数。'), django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='注册资本(万元)'),
        ),
        migrations.AlterField(
            model_name='historicalreceipt',
            name='amount',
            field=models.DecimalField(decimal_places=2, max_digits=14, validators=[projects.models.positive_amount, django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='金额(万元)'),
        ),
        migrations.AlterField(
            model_name='historicalvisit',
            name='persons',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1, message='人数至少为1。'), django.core.validators.MaxValueValidator(projects.models.visit_max_persons, message='每批接待不能超过%(limit_value)s人，请核对人数。')], verbose_name='人数'),
        ),
        migrations.AlterField(
            model_name='project',
            name='planned_investment',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0, message='金额不能为负数。'), django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='计划总投资(万元)'),
        ),
        migrations.AlterField(
            model_name='project',
            name='registered_capital',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True, validators=[django.core.validators.MinValueValidator(0, message='金额不能为负数。'), django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='注册资本(万元)'),
        ),
        migrations.AlterField(
            model_name='receipt',
            name='amount',
            field=models.DecimalField(decimal_places=2, max_digits=14, validators=[projects.models.positive_amount, django.core.validators.MaxValueValidator(Decimal('9999999999.99'), message='金额不能超过%(limit_value)s万元。')], verbose_name='金额(万元)'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='persons',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1, message='人数至少为1。'), django.core.validators.MaxValueValidator(projects.models.visit_max_persons, message='每批接待不能超过%(limit_value)s人，请核对人数。')], verbose_name='人数'),
        ),
    ]
