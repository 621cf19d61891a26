"""Who takes part: department groups, departments, people and their roles."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class DepartmentGroup(models.Model):
    """A group departments are ranked within (综合经济部门, 党群部门, …)."""

    name = models.CharField(_("分组名称"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("部门分组")
        verbose_name_plural = _("部门分组")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A city department (市直部门) that takes part in competitions."""

    name = models.CharField(_("部门名称"), max_length=50, unique=True)
    group = models.ForeignKey(
        DepartmentGroup,
        verbose_name=_("分组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="departments",
    )
    order = models.PositiveIntegerField(_("排序"), default=0, help_text=_("排名并列时按此升序"))
    head = models.CharField(_("主要负责人"), max_length=50, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # A token that changes with every write to the department's records or projects
    # (departments.changes.touch): pages that show them key their cached parts on it. A
    # default in the database too: rows written by older code (a migration test) get one.
    records_version = models.BigIntegerField(default=0, db_default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["records_version"])

    class Meta:
        ordering = ["order", "name"]
        # Lists sorted by department (the projects list's default) walk this index and
        # stop after a page, instead of sorting every project (PostgreSQL: 13 -> 1 ms at
        # 20,000 projects).
        indexes = [models.Index(fields=["order", "name"], name="department_order")]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person and the roles DOMAIN.md names.

    staff 职工: `department` is set (any employee may submit leads for it).
    liaison 联络员: `liaison_for` lists the departments they log records for.
    office 竞赛办 and leader 领导: the two flags.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.CASCADE,
        related_name="person",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所在部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    liaison_for = models.ManyToManyField(
        Department, verbose_name=_("联络员负责部门"), blank=True, related_name="liaisons"
    )
    is_office = models.BooleanField(_("竞赛办"), default=False)
    is_leader = models.BooleanField(_("领导"), default=False)

    history = HistoricalRecords(m2m_fields=[liaison_for])

    class Meta:
        ordering = ["name"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name
