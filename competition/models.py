"""How it scores: competitions, metric weights, department quotas and league snapshots."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.models import Department, DepartmentGroup


class Metric(models.TextChoices):
    """The seven metrics of DOMAIN.md, labelled as the ledger's headers."""

    VISIT_BATCHES = "visit_batches", _("接待批次")
    VISITORS = "visitors", _("接待人数")
    INTENT_PROJECTS = "intent_projects", _("意向项目")
    SIGNED_PROJECTS = "signed_projects", _("签约项目")
    FUNDED_PROJECTS = "funded_projects", _("到账项目")
    FUNDS_AMOUNT = "funds_amount", _("到账资金")
    GROUNDBREAKING_PROJECTS = "groundbreaking_projects", _("开工项目")


METRICS: list[str] = [m.value for m in Metric]

DEFAULT_WEIGHTS: dict[str, Decimal] = {
    Metric.VISIT_BATCHES: Decimal(10),
    Metric.VISITORS: Decimal(0),
    Metric.INTENT_PROJECTS: Decimal(15),
    Metric.SIGNED_PROJECTS: Decimal(20),
    Metric.FUNDED_PROJECTS: Decimal(20),
    Metric.FUNDS_AMOUNT: Decimal(15),
    Metric.GROUNDBREAKING_PROJECTS: Decimal(20),
}

RATIO = {"max_digits": 6, "decimal_places": 4}
MONEY = {"max_digits": 14, "decimal_places": 2}


class Competition(models.Model):
    """A competition window (百日竞赛 or a whole-year assessment) with its scoring settings."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    yellow_threshold = models.DecimalField(
        _("黄牌线"),
        default=Decimal("0.70"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        **RATIO,
    )
    cap = models.DecimalField(
        _("封顶"),
        default=Decimal("1.5"),
        validators=[MinValueValidator(Decimal("0.0001"), message=_("封顶必须大于0。"))],
        **RATIO,
    )
    count_pending = models.BooleanField(_("计入待核实"), default=False)
    is_active = models.BooleanField(_("进行中"), default=True)
    issuing_office = models.CharField(
        _("发文单位"), max_length=100, default="市招商引资百日竞赛活动办公室"
    )
    # The printed bulletin's and briefing pack's 版记 (GB/T 9704): who gets a copy, and
    # how many are printed. Both optional: no 抄送 line, no 共印N份 line.
    copy_to = models.TextField(
        _("抄送"),
        blank=True,
        help_text=_("简报和汇报会材料版记中的抄送单位，用顿号、逗号或换行分隔；留空则不印抄送行。"),
    )
    print_copies = models.PositiveIntegerField(
        _("印数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1, message=_("印数至少为1。"))],
        help_text=_("版记中的“共印N份”；留空则不印。"),
    )
    # 红黑榜 (competition.honours, README "红黑榜"): how many departments the 红榜 names by
    # score, and the 基础工作 thresholds (timely entry, evidence, returns fixed).
    honour_top = models.PositiveSmallIntegerField(
        _("红榜名额"), default=5, help_text=_("红榜按得分列出的前几名部门。")
    )
    basics_late_max = models.DecimalField(
        _("补录占比上限"),
        default=Decimal("0.30"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("补录记录占比高于此值为基础工作不达标，如0.30即30%。"),
        **RATIO,
    )
    basics_evidence_min = models.DecimalField(
        _("佐证齐全率下限"),
        default=Decimal("0.80"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("计入成绩的节点和到账中有佐证材料的占比低于此值为不达标。"),
        **RATIO,
    )
    basics_returned_max = models.PositiveIntegerField(
        _("退回未改上限"),
        default=0,
        help_text=_("退回后仍未修改的记录多于此数为不达标。"),
    )
    basics_blacklist = models.BooleanField(
        _("基础工作不达标单独列入黑榜"),
        default=False,
        help_text=_("不勾选时，基础工作不达标只使部门不能上红榜，并在黑榜原因中注明。"),
    )
    # Set when a counted record changes; cleared by the recompute that picks it up.
    # `stale_from` is the earliest date whose snapshots no longer match the records.
    stale_from = models.DateField(_("待重算起始日"), null=True, blank=True, editable=False)
    stale_since = models.DateTimeField(_("待重算时间"), null=True, blank=True, editable=False)
    # Bumped by every change; a recompute clears the marker only if no change came meanwhile.
    stale_version = models.PositiveBigIntegerField(default=0, editable=False)

    # The stale marker: kept up to date by compare-and-set updates
    # (competition.league.recompute) while a form is open, so a save of the whole row
    # leaves these out (competition.services.save_competition): it would put back the
    # values the form was loaded with.
    MARKER_FIELDS = frozenset({"stale_from", "stale_since", "stale_version"})

    history = HistoricalRecords(excluded_fields=sorted(MARKER_FIELDS))

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("竞赛")
        verbose_name_plural = _("竞赛")

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})

    def weights(self) -> dict[str, Decimal]:
        """Every metric's weight: the stored ones over the defaults."""
        weights = dict(DEFAULT_WEIGHTS)
        weights.update({w.metric: w.weight for w in self.metric_weights.all()})
        return weights


class MetricWeight(models.Model):
    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="metric_weights"
    )
    metric = models.CharField(_("指标"), max_length=30, choices=Metric.choices)
    weight = models.DecimalField(
        _("权重"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0, message=_("权重不能为负数。"))],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("指标权重")
        verbose_name_plural = _("指标权重")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "metric"],
                name="one_weight_per_metric",
                violation_error_message=_("每个指标只能设置一个权重。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.weight}"


def _count_field(label):
    return models.PositiveIntegerField(label, default=0)


class Quota(models.Model):
    """A department's targets (任务指标) in one competition; its presence means it takes part."""

    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="quotas"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="quotas"
    )
    visit_batches = _count_field(_("接待批次"))
    visitors = _count_field(_("接待人数"))
    intent_projects = _count_field(_("意向项目"))
    signed_projects = _count_field(_("签约项目"))
    funded_projects = _count_field(_("到账项目"))
    funds_amount = models.DecimalField(
        _("到账资金(万元)"),
        default=Decimal(0),
        validators=[MinValueValidator(0, message=_("任务不能为负数。"))],
        **MONEY,
    )
    groundbreaking_projects = _count_field(_("开工项目"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["competition", "department__order", "department__name"]
        verbose_name = _("任务指标")
        verbose_name_plural = _("任务指标")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "department"],
                name="one_quota_per_department",
                violation_error_message=_("该部门在此竞赛中已有任务指标。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.competition} · {self.department}"

    def targets(self) -> dict[str, Decimal]:
        return {m: Decimal(getattr(self, m)) for m in METRICS}


class Snapshot(models.Model):
    """One department's league figures for one competition as of one date.

    Written only by competition.league.snapshots.store_league(); a recompute of the same
    date replaces the whole date in one transaction.
    """

    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="snapshots"
    )
    as_of = models.DateField(_("统计日期"))
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    department_name = models.CharField(_("部门"), max_length=50)
    group = models.ForeignKey(
        DepartmentGroup,
        verbose_name=_("分组"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    group_name = models.CharField(_("分组"), max_length=50, blank=True)
    elapsed_days = models.PositiveIntegerField(_("已进行天数"))
    fraction = models.DecimalField(_("时间进度"), max_digits=12, decimal_places=10)
    actuals = models.JSONField(_("完成数"))
    targets = models.JSONField(_("任务数"))
    ratios = models.JSONField(_("时序进度完成率"))
    score = models.DecimalField(_("得分"), max_digits=20, decimal_places=12)
    yellow_card = models.BooleanField(_("黄牌"))
    zero_result = models.BooleanField(_("无实绩"))
    rank = models.PositiveIntegerField(_("排名"))
    group_rank = models.PositiveIntegerField(_("组内排名"), null=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        ordering = ["competition", "as_of", "rank"]
        verbose_name = _("排名快照")
        verbose_name_plural = _("排名快照")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "as_of", "department"], name="one_snapshot_per_day"
            )
        ]
        indexes = [models.Index(fields=["competition", "as_of", "rank"])]

    def __str__(self) -> str:
        return f"{self.competition} {self.as_of} #{self.rank} {self.department_name}"


def report_file_name(instance, filename: str) -> str:
    """A random name under reports/: the download view serves it, never MEDIA_URL."""
    return f"reports/{uuid.uuid4().hex}.pdf"


class Report(models.Model):
    """A printed bulletin (简报) or meeting briefing pack (汇报会材料) and the job building it.

    The row is the job's status (queued → rendering → done | failed); the file is set only
    once the whole PDF is written. Bulletins carry an issue number per competition
    (第N期), assigned when requested (competition.reports.service); rebuilding an issue
    keeps its number and replaces its file. `created_at` is when the current build was
    requested (a rebuild sets it again).
    """

    class Kind(models.TextChoices):
        BULLETIN = "bulletin", _("简报")
        PACK = "pack", _("汇报会材料")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RENDERING = "rendering", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    issue_number = models.PositiveIntegerField(_("期数"), null=True, blank=True)
    as_of = models.DateField(_("统计日期"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=report_file_name, blank=True)
    error = models.TextField(_("失败原因"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "issue_number"],
                condition=models.Q(kind="bulletin"),
                name="one_bulletin_per_issue",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="bulletin", issue_number__isnull=False)
                | models.Q(kind="pack", issue_number__isnull=True),
                name="issue_number_for_bulletins_only",
            ),
        ]
        indexes = [models.Index(fields=["competition", "kind", "-created_at"])]

    def __str__(self) -> str:
        if self.kind == self.Kind.BULLETIN:
            return f"{self.competition} {self.get_kind_display()} 第{self.issue_number}期"
        return f"{self.competition} {self.get_kind_display()} {self.as_of}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class YellowCard(models.Model):
    """A yellow card (黄牌警告) issued to a department at a bulletin, until a bulletin lifts it.

    Written only by competition.cards.sync_cards, from the league of the bulletin's date:
    one card per department while it stays carded issue after issue (连续N期 counts those
    bulletins), lifted (`lifted_on`, the bulletin's date) by the first bulletin that no
    longer cards it. A 整改 report is due `rectification_due_on` (CARD_RECTIFICATION_DAYS
    after the card).
    """

    competition = models.ForeignKey(
        Competition, verbose_name=_("竞赛"), on_delete=models.CASCADE, related_name="yellow_cards"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="yellow_cards"
    )
    # RESTRICT, not PROTECT: deleting the competition deletes its bulletins and cards together.
    issued_report = models.ForeignKey(
        Report, verbose_name=_("发出期"), on_delete=models.RESTRICT, related_name="cards_issued"
    )
    issued_on = models.DateField(_("发出日期"))
    score_at_issue = models.DecimalField(_("发出时得分"), max_digits=20, decimal_places=12)
    last_report = models.ForeignKey(
        Report, verbose_name=_("最近一期"), on_delete=models.RESTRICT, related_name="+"
    )
    last_score = models.DecimalField(_("最近得分"), max_digits=20, decimal_places=12)
    consecutive_issues = models.PositiveIntegerField(_("连续期数"), default=1)
    rectification_due_on = models.DateField(_("整改期限"))
    lifted_report = models.ForeignKey(
        Report,
        verbose_name=_("撤销期"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="cards_lifted",
    )
    lifted_on = models.DateField(_("撤销日期"), null=True, blank=True)
    score_at_lift = models.DecimalField(
        _("撤销时得分"), max_digits=20, decimal_places=12, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "department__order", "department__name"]
        verbose_name = _("黄牌记录")
        verbose_name_plural = _("黄牌记录")
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "department"],
                condition=models.Q(lifted_on__isnull=True),
                name="one_open_card_per_department",
            ),
            models.UniqueConstraint(
                fields=["issued_report", "department"], name="one_card_per_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.issued_on} 黄牌"

    @property
    def is_open(self) -> bool:
        return self.lifted_on is None


class Rectification(models.Model):
    """A department's 整改 report for a yellow card: submitted, then accepted or returned.

    One per card; a returned report is corrected and submitted again in the same row (its
    history keeps every version). Written only by competition.cards.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("退回待改")
        ACCEPTED = "accepted", _("已通过")

    card = models.OneToOneField(
        YellowCard, verbose_name=_("黄牌"), on_delete=models.CASCADE, related_name="rectification"
    )
    measures = models.TextField(_("整改措施"), max_length=4000)
    attachment = models.FileField(_("附件"), upload_to="rectifications/%Y/%m/", blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True, max_length=1000)

    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at"]
        verbose_name = _("整改报告")
        verbose_name_plural = _("整改报告")
        indexes = [
            # The office's queue: only the submitted ones, oldest first.
            models.Index(
                fields=["submitted_at"],
                condition=models.Q(status="submitted"),
                name="rectification_queue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.card} 整改 {self.get_status_display()}"
