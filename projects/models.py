"""What happened: projects, their stage milestones, funds receipts and investor visits."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    Expression,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Department
from projects import duplicates
from projects.choices import MILESTONE_STAGES, ReviewStatus, Stage
from projects.lateness import is_late_entry
from projects.validation import check_lost_on, check_stage_order

# Stage, MILESTONE_STAGES and ReviewStatus live in projects.choices so that the stage rule
# names them without the models; `from projects.models import Stage` works as before.
MONEY = {"max_digits": 14, "decimal_places": 2}
# The largest amount a form takes, in 万元: below 10^10 万元 (10^14 yuan, most of a year
# of the whole country's output), well inside the columns; anything larger is a typo.
MONEY_MAX = Decimal("9999999999.99")
money_within_bound = MaxValueValidator(MONEY_MAX, message=_("金额不能超过%(limit_value)s万元。"))
not_negative = MinValueValidator(0, message=_("金额不能为负数。"))

# Project codes (项目编号, README "Data entry"): letters, digits and hyphens, starting
# and ending with a letter or digit, at most CODE_MAX_LENGTH characters (the column holds
# 40, which leaves room and keeps codes one can read out on the phone; the message says
# the number too). Automatic codes are "XM-<year>-<number>" (projects.services.next_code).
CODE_MAX_LENGTH = 20
validate_code = RegexValidator(
    rf"\A(?=[A-Za-z0-9-]{{1,{CODE_MAX_LENGTH}}}\Z)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\Z",
    message=_(
        "项目编号只能由字母、数字和连字符（-）组成，以字母或数字开头和结尾，"
        "不超过20个字符，如 XM-2026-0001。"
    ),
    code="invalid_code",
)


class Industry(models.TextChoices):
    INDUSTRIAL = "industrial", _("工业")
    SERVICES = "services", _("服务业")
    AGRICULTURE = "agriculture", _("农业")
    OTHER = "other", _("其他")


class SourceChannel(models.TextChoices):
    CLASSMATE = "classmate", _("老同学")
    COMRADE = "comrade", _("老战友")
    COLLEAGUE = "colleague", _("老同事")
    INVESTOR_REFERRAL = "investor_referral", _("以商引商")
    RESIDENT_STATION = "resident_station", _("驻点招商")
    DOOR_KNOCKING = "door_knocking", _("敲门招商")
    FAIR = "fair", _("展会")
    INTERNET = "internet", _("网络")
    OTHER = "other", _("其他")


def positive_amount(value):
    if value is not None and value <= 0:
        raise ValidationError(_("金额必须大于0。"), code="not_positive")


def not_in_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("日期不能晚于今天。"), code="future")


def visit_max_persons() -> int:
    """The most persons one visit batch may have (settings.VISIT_MAX_PERSONS)."""
    return settings.VISIT_MAX_PERSONS


NO_STAGE = -1  # "no stage yet": a value the database can compare, turned back into NULL

# Reported progress counts what is not returned: pending records as well as verified ones.
REPORTED_STATUSES = (ReviewStatus.PENDING, ReviewStatus.VERIFIED)
# Project columns that store the reported progress (see projects.progress).
PROGRESS_FIELDS = ("stage_reached", "last_milestone_on")
# Project columns that store the name and investor as duplicates are matched on.
MATCH_KEY_FIELDS = ("investor_key", "name_key")
# Project columns written only by projects.credit (compare-and-set): a full save() of an
# instance loaded before a decision must not write the old decision back.
CREDIT_FIELDS = ("credit_denied_in_favour_of", "credit_reason")


class ProjectQuerySet(models.QuerySet):
    def with_flags(self):
        """Annotate `major` and `reward_eligible` (thresholds from settings)."""
        return self.annotate(
            major=Case(
                When(
                    planned_investment__gte=settings.MAJOR_PROJECT_MIN_INVESTMENT, then=Value(True)
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
            reward_eligible=Case(
                When(reward_eligible_q(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )

    def with_computed_progress(self, *, statuses=REPORTED_STATUSES):
        """Annotate `computed_stage_reached` and `computed_last_milestone_on` (one query).

        What `progress_expressions(statuses)` computes from the records. With the default
        statuses it equals the stored `stage_reached` and `last_milestone_on`, which the
        pages read; other statuses (verified only, as the league counts) need this.
        """
        stage_reached, last_milestone_on = progress_expressions(statuses)
        return self.annotate(
            computed_stage_reached=stage_reached, computed_last_milestone_on=last_milestone_on
        )

    def credited(self):
        """Projects that count for their department: not denied the credit (projects.credit)."""
        return self.filter(credit_denied_in_favour_of__isnull=True)

    def major(self):
        return self.filter(planned_investment__gte=settings.MAJOR_PROJECT_MIN_INVESTMENT)

    def reward_eligible(self):
        return self.filter(reward_eligible_q())


def reward_eligible_q() -> Q:
    """Industrial, in a key zone (两区), investment and registered capital at the thresholds."""
    return Q(
        industry=Industry.INDUSTRIAL,
        zone__in=settings.REWARD_ZONES,
        planned_investment__gte=settings.REWARD_MIN_INVESTMENT,
        registered_capital__gte=settings.REWARD_MIN_REGISTERED_CAPITAL,
    )


def progress_expressions(statuses=REPORTED_STATUSES) -> tuple[Expression, Expression]:
    """The stage a project reached and the date of its latest record, as SQL expressions.

    For a query over projects (they refer to the outer project row):
    stage reached: the highest stage among the project's milestones and receipts whose
    status is in `statuses` (a receipt reaches "funds received"); NULL when there is none.
    A lost project keeps the stages it reached up to the day it was lost.
    last record date: the latest date among those records.
    """
    counted = Q(
        project=OuterRef("pk"),
        status__in=statuses,
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
        When(Exists(receipts), then=Value(int(Stage.FUNDED))),
        default=Value(NO_STAGE),
        output_field=IntegerField(),
    )
    stage_reached = NullIf(
        Greatest(
            Coalesce(top_stage, Value(NO_STAGE), output_field=IntegerField()),
            funded,
            output_field=IntegerField(),
        ),
        Value(NO_STAGE),
    )
    # Greatest(a, b) is NULL when either is NULL on some databases: pair them.
    last_milestone_on = Greatest(
        Coalesce(last_m, last_r), Coalesce(last_r, last_m), output_field=DateField()
    )
    return stage_reached, last_milestone_on


class Project(models.Model):
    """An investment project; its stages are reached by dated milestones and receipts."""

    code = models.CharField(_("项目编号"), max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(_("项目名称"), max_length=200)
    investor = models.CharField(_("投资方"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="projects"
    )
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    industry = models.CharField(
        _("行业"), max_length=20, choices=Industry.choices, default=Industry.OTHER
    )
    is_high_tech = models.BooleanField(_("高新技术"), default=False)
    planned_investment = models.DecimalField(
        _("计划总投资(万元)"),
        null=True,
        blank=True,
        validators=[not_negative, money_within_bound],
        **MONEY,
    )
    registered_capital = models.DecimalField(
        _("注册资本(万元)"),
        null=True,
        blank=True,
        validators=[not_negative, money_within_bound],
        **MONEY,
    )
    zone = models.CharField(_("落户区域"), max_length=50, blank=True)
    origin_region = models.CharField(_("来源地"), max_length=50, blank=True)
    source_channel = models.CharField(
        _("信息来源"), max_length=30, choices=SourceChannel.choices, blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("信息提供人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_leads",
    )
    lost_on = models.DateField(_("流失日期"), null=True, blank=True, validators=[not_in_future])
    lost_reason = models.TextField(_("流失原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Reported progress, derived from the milestones and receipts (pending and verified,
    # up to the loss) and stored so that lists filter and sort on it; written only by
    # projects.progress, which every write of a record or of lost_on calls.
    stage_reached = models.PositiveSmallIntegerField(
        _("已达阶段"), choices=Stage.choices, null=True, blank=True, editable=False
    )
    last_milestone_on = models.DateField(_("最近节点日期"), null=True, blank=True, editable=False)
    # The name and investor as projects.duplicates compares them, stored and indexed so
    # that a form's warning is one indexed query, not a pass over every project (normalising
    # 20,000 names takes 0.6 s). Derived from this row's own columns: see save().
    investor_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    name_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    # Two departments claimed one project and the office gave the credit to the other one:
    # this project and all its stages and receipts stop counting (projects.credit writes it).
    credit_denied_in_favour_of = models.ForeignKey(
        "self",
        verbose_name=_("不计入，归属于"),
        null=True,
        blank=True,
        # A project others were denied in favour of cannot be deleted alone (the office
        # restores them first); deleting both at once (the demo's rebuild) is fine.
        on_delete=models.RESTRICT,
        related_name="credit_denied_projects",
        editable=False,
    )
    credit_reason = models.TextField(_("归属认定理由"), blank=True, editable=False)

    objects = ProjectQuerySet.as_manager()
    # Derived, not entered: the history of the records already says how they changed.
    history = HistoricalRecords(excluded_fields=(*PROGRESS_FIELDS, *MATCH_KEY_FIELDS))

    class Meta:
        ordering = ["code"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        indexes = [
            # The list filtered by stage (or sorted by it), sorted by investment within.
            models.Index(fields=["stage_reached", "planned_investment"], name="project_stage"),
            models.Index(fields=["last_milestone_on"], name="project_last_milestone_on"),
            # The list's count by industry and stage (or all rows): an index-only scan.
            models.Index(fields=["industry", "stage_reached"], name="project_industry_stage"),
            # Likely duplicates (projects.duplicates): one indexed lookup per key.
            models.Index(fields=["investor_key"], name="project_investor_key"),
            models.Index(fields=["name_key"], name="project_name_key"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        # The match keys are a normalised copy of this row's own name and investor (like an
        # index, no other record is read or written): set on every save, so that no write
        # path (forms, admin, ledger, a test's create) leaves them stale. Bulk writes call
        # set_match_keys() themselves.
        self.set_match_keys()
        if (fields := kwargs.get("update_fields")) is not None and {"name", "investor"} & set(
            fields
        ):
            kwargs["update_fields"] = {*fields, *MATCH_KEY_FIELDS}
        # An instance loaded before one of its records changed holds an old copy of the
        # progress columns: saving it must not write that copy back over the fresh one.
        adding, forced = self._state.adding, kwargs.get("force_insert")
        if not adding and not forced and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()  # as save() does: only what was loaded
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key
                and f.name not in (*PROGRESS_FIELDS, *CREDIT_FIELDS)
                and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def set_match_keys(self) -> list[str]:
        """Store the name and investor as projects.duplicates compares them; returns the
        fields set (for bulk_update callers, which bypass save())."""
        self.investor_key = duplicates.investor_key(self.investor)
        self.name_key = duplicates.name_key(self.name)
        return list(MATCH_KEY_FIELDS)

    @property
    def is_major(self) -> bool:
        return (self.planned_investment or 0) >= settings.MAJOR_PROJECT_MIN_INVESTMENT

    @property
    def is_reward_eligible(self) -> bool:
        return (
            self.industry == Industry.INDUSTRIAL
            and self.zone in settings.REWARD_ZONES
            and (self.planned_investment or 0) >= settings.REWARD_MIN_INVESTMENT
            and (self.registered_capital or 0) >= settings.REWARD_MIN_REGISTERED_CAPITAL
        )

    @property
    def is_lost(self) -> bool:
        return self.lost_on is not None

    @property
    def is_credited(self) -> bool:
        """Whether the project counts for its department (no credit decision against it)."""
        return self.credit_denied_in_favour_of_id is None

    def clean(self):
        if self.lost_on and not self.lost_reason.strip():
            raise ValidationError({"lost_reason": _("标记流失时必须填写流失原因。")})
        if self.lost_reason.strip() and not self.lost_on:
            raise ValidationError({"lost_on": _("填写了流失原因时必须填写流失日期。")})
        if self.lost_on and self.pk:
            # No stage after the loss: the same rule check_stage_order applies to new records.
            check_lost_on(self, self.lost_on)


class ReviewedRecord(models.Model):
    """A record the competition office verifies before it counts."""

    status = models.CharField(
        _("核实状态"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING,
        db_index=True,
    )
    evidence = models.FileField(_("佐证材料"), upload_to="evidence/%Y/%m/", blank=True)
    # The uploader's own name for the file ("合同.pdf"): `evidence` is stored under a
    # random name, which tells people nothing. Set by projects.services with the upload.
    evidence_name = models.CharField(_("佐证文件名"), max_length=255, blank=True, default="")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    # Why the office verified it although the evidence policy asks for evidence it lacks
    # (projects.policy); kept on the record so that its history shows it.
    verified_without_evidence_reason = models.TextField(_("无佐证核实理由"), blank=True)
    # Created by the ledger import (台账): loaded history, not typed late (projects.lateness).
    imported = models.BooleanField(_("台账导入"), default=False, editable=False)
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_late_entry(self) -> bool:
        """补录: typed in more than LATE_ENTRY_DAYS days after it happened (projects.lateness).

        A record the ledger import created is history being loaded, never a 补录.
        """
        if self.imported:
            return False
        return is_late_entry(occurred_on=self.occurred_on, created_at=self.created_at)

    def clean(self):
        if self.status == ReviewStatus.RETURNED and not self.return_reason.strip():
            raise ValidationError({"return_reason": _("退回时必须填写原因。")})


class Milestone(ReviewedRecord):
    """The date a project reached a stage (lead, intent, signed, groundbreaking)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="milestones"
    )
    stage = models.PositiveSmallIntegerField(
        _("阶段"), choices=[(s.value, s.label) for s in MILESTONE_STAGES]
    )
    occurred_on = models.DateField(_("发生日期"), validators=[not_in_future])

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "stage"]
        verbose_name = _("阶段节点")
        verbose_name_plural = _("阶段节点")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "stage"],
                name="one_milestone_per_stage",
                violation_error_message=_("该项目已有此阶段的节点，每个阶段只能有一个。"),
            )
        ]
        indexes = [
            models.Index(fields=["status", "occurred_on"]),
            # A project's counted records (progress_expressions), whatever the statistics.
            models.Index(fields=["project", "status", "occurred_on"], name="milestone_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_stage_display()} {self.occurred_on}"

    def clean(self):
        super().clean()
        if self.stage == Stage.FUNDED:
            raise ValidationError({"stage": _("资金到账阶段请登记到账记录。")})
        if self.project_id and self.occurred_on and self.stage is not None:
            check_stage_order(self.project, milestone=self)


class Receipt(ReviewedRecord):
    """One tranche of funds received (资金到账); the first one reaches the funded stage."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="receipts"
    )
    occurred_on = models.DateField(_("到账日期"), validators=[not_in_future])
    amount = models.DecimalField(
        _("金额(万元)"),
        validators=[positive_amount, money_within_bound],
        **MONEY,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "occurred_on", "id"]
        verbose_name = _("资金到账")
        verbose_name_plural = _("资金到账")
        indexes = [
            models.Index(fields=["status", "occurred_on"]),
            models.Index(fields=["project", "status", "occurred_on"], name="receipt_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.occurred_on} {self.amount}万元"

    def clean(self):
        super().clean()
        if self.project_id and self.occurred_on:
            check_stage_order(self.project, receipt=self)


class Visit(ReviewedRecord):
    """One reception of visiting investors (接待客商): one batch of `persons` people.

    Verified by the office like milestones and receipts (its evidence: a 接待单 or a photo);
    the league counts it as it counts them (verified, or pending when the competition says).
    """

    occurred_on = models.DateField(_("接待日期"), validators=[not_in_future])
    department = models.ForeignKey(
        Department, verbose_name=_("接待部门"), on_delete=models.PROTECT, related_name="visits"
    )
    investor_org = models.CharField(_("客商单位"), max_length=200)
    # investor_org as projects.duplicates compares it (see Project.investor_key).
    investor_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    persons = models.PositiveIntegerField(
        _("人数"),
        validators=[
            MinValueValidator(1, message=_("人数至少为1。")),
            MaxValueValidator(
                visit_max_persons,
                message=_("每批接待不能超过%(limit_value)s人，请核对人数。"),
            ),
        ],
    )
    host = models.CharField(_("接待领导"), max_length=50, blank=True)
    purpose = models.CharField(_("事由"), max_length=200, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("关联项目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("客商接待")
        verbose_name_plural = _("客商接待")
        indexes = [
            models.Index(fields=["department", "occurred_on"]),
            models.Index(fields=["status", "occurred_on"], name="visit_status_occurred_on"),
            # Likely duplicates: the same investor received by another department that day
            # (projects.duplicate_lookup.visit_matches), one indexed lookup. Without it the
            # check read and normalised every visit of the day: 50 ms of a visit's POST
            # with 800 visits that day (manage.py loadtest, 2026-12-03).
            models.Index(fields=["occurred_on", "investor_key"], name="visit_investor_key"),
            # The host of the user's last visit, offered on every visit form shown empty
            # (projects.services.last_host): one index entry read. Without it PostgreSQL
            # read and sorted every visit the user ever logged: 0.5 ms for 225 visits,
            # growing with them (EXPLAIN ANALYZE, loadtest data, 2026-12-04).
            models.Index(fields=["logged_by", "-created_at", "-id"], name="visit_last_by_logger"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.investor_org}"

    def save(self, *args, **kwargs):
        # As Project.save: the match key is a normalised copy of this row's own investor,
        # set on every save so that no write path leaves it stale. Bulk writes call
        # set_match_keys() themselves.
        self.set_match_keys()
        if (fields := kwargs.get("update_fields")) is not None and "investor_org" in fields:
            kwargs["update_fields"] = {*fields, "investor_key"}
        super().save(*args, **kwargs)

    def set_match_keys(self) -> list[str]:
        """Store the investor as projects.duplicates compares it; returns the fields set
        (for bulk_update callers, which bypass save())."""
        self.investor_key = duplicates.investor_key(self.investor_org)
        return ["investor_key"]


class CreditDecision(models.Model):
    """One decision of the office on a project two departments claim (a row per decision,
    never changed: who, when, the project before and after, and why).

    DENIED: `project` counted and stops counting, its credit going to `counterpart`;
    RESTORED: `project` had been denied in favour of `counterpart` and counts again;
    DISTINCT: the two look alike but are different projects; both go on counting and the
    pair leaves the office's list of possible duplicates.
    """

    class Outcome(models.TextChoices):
        DENIED = "denied", _("不计入，归属对方")
        RESTORED = "restored", _("恢复计入")
        DISTINCT = "distinct", _("不是重复，各自计入")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="credit_decisions"
    )
    counterpart = models.ForeignKey(
        Project, verbose_name=_("对方项目"), on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(_("认定结果"), max_length=10, choices=Outcome.choices)
    counted_before = models.BooleanField(_("认定前计入"))
    counted_after = models.BooleanField(_("认定后计入"))
    reason = models.TextField(_("理由"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("认定时间"))

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("归属认定")
        verbose_name_plural = _("归属认定")
        indexes = [models.Index(fields=["counterpart"], name="credit_decision_counterpart")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.outcome} {self.counterpart_id}"


class EvidenceKind(models.TextChoices):
    """The records an evidence policy is set for: the stages after a lead, and visits."""

    INTENT = "intent", _("签订意向")
    SIGNED = "signed", _("正式签约")
    FUNDED = "funded", _("资金到账")
    GROUNDBREAKING = "groundbreaking", _("开工建设")
    VISIT = "visit", _("客商接待")


class EvidencePolicy(models.Model):
    """Whether the office needs evidence to verify one kind of record, and which document.

    One row per kind, edited by the office (its own page and the admin), with history.
    A kind without a row follows projects.policy.DEFAULTS.
    """

    kind = models.CharField(_("记录类别"), max_length=20, choices=EvidenceKind.choices, unique=True)
    required = models.BooleanField(_("核实时必须有佐证"), default=False)
    document = models.CharField(
        _("佐证材料"), max_length=50, blank=True, help_text=_("如：合同、到账凭证、开工照片。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("佐证要求")
        verbose_name_plural = _("佐证要求")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class CodeCounter(models.Model):
    """The last number handed out for automatic project codes of one prefix and year.

    Kept apart from the codes themselves so that a code typed by hand never moves the
    numbering (projects.services.next_code skips a number already taken instead).
    """

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_code_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Submission(models.Model):
    """A create form's one-time token and what the form created.

    The form carries a random token in a hidden field; the service that saves the new
    record stores the token with it in the same transaction. The same form posted again
    (a double-click, a resend from the back button) finds its token taken and is shown the
    first result instead of storing a duplicate.
    """

    class Kind(models.TextChoices):
        PROJECT = "project", _("项目")
        LEAD = "lead", _("信息")
        MILESTONE = "milestone", _("阶段节点")
        RECEIPT = "receipt", _("资金到账")
        VISIT = "visit", _("客商接待")

    token = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The nightly purge (projects.tasks) reads the tokens past SUBMISSION_KEEP_DAYS.
        indexes = [models.Index(fields=["created_at"], name="submission_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
