"""三有三不: the speech's three weaknesses, diagnosed per department from the league.

The speech names three problems of the city's departments ("突出表现为'三有三不'"). This
module is our reading of each one as a rule over figures the system already holds; the
rules are documented here, one per flag, and nowhere else. Each rule measures a
department against the timeline (时序进度, the yellow threshold the competition sets) or
against the other departments of the competition, so that a flag picks out the few
departments it names instead of nearly all of them; every flag carries its reason (the
figures and the yardstick) in `detail`, which the bulletin prints next to it.

有行动，行动不力 (``weak_action``) — against the timeline
    The department's receptions of visiting investors fall behind the timeline: its
    ``visit_batches`` timeline ratio (时序进度完成率, from compute_league) is below the
    competition's yellow threshold, or it has received no visiting investors at all although
    the window has started (no action at all is the extreme of weak action). Only where
    ``visit_batches`` is scored for the department (a target and a weight above 0, the
    window started): without a quota there is no pace to fall behind.

有进展，进展不快 (``slow_progress``) — against the timeline
    "项目信息不少，意向项目较多 … 但正式签约和开工建设的就没有一个": inside the window the
    department has intent projects (``intent_projects`` > 0) and no groundbreaking project,
    and its signing is behind the timeline: the ``signed_projects`` timeline ratio is below
    the yellow threshold (where signing is scored), or no project is signed at all (where
    it is not).

有项目，项目不多 (``few_projects``) — against the other departments
    The department follows projects (not lost as of the as-of date, whatever their stage
    and whenever they were entered), but fewer than half the median number the
    competition's departments follow (departments without projects count as 0 in the
    median; a department without projects is not flagged here: it has nothing, which the
    zero-result flag and the score already say). The flag also describes the mix of those
    projects ("小项目多大项目少，三产项目多工业项目少，低档次多高科技少"), as ``reasons``:

    - 大项目少 (``no_major``): none with planned investment ≥
      ``settings.MAJOR_PROJECT_MIN_INVESTMENT`` (5000万元; "还没有一个5000万元以上的新项目");
    - 工业项目少 (``few_industrial``): fewer industrial than services projects
      ("三产项目多，工业项目少");
    - 高科技项目少 (``no_high_tech``): no high-tech project ("高科技含量的项目少").

Queries: the league is computed by the caller; the project mix is one aggregate query
grouped by department, whatever the number of departments and projects.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from competition.models import Metric
from competition.scoring.rule import League
from projects.models import Industry, Project

WEAK_ACTION = "weak_action"
SLOW_PROGRESS = "slow_progress"
FEW_PROJECTS = "few_projects"
NO_MAJOR = "no_major"
FEW_INDUSTRIAL = "few_industrial"
NO_HIGH_TECH = "no_high_tech"

FLAG_LABELS = {
    WEAK_ACTION: _("有行动，行动不力"),
    SLOW_PROGRESS: _("有进展，进展不快"),
    FEW_PROJECTS: _("有项目，项目不多"),
}
FLAGS: list[str] = list(FLAG_LABELS)
REASON_LABELS = {
    NO_MAJOR: _("大项目少"),
    FEW_INDUSTRIAL: _("工业项目少"),
    NO_HIGH_TECH: _("高科技项目少"),
}


@dataclass(frozen=True)
class ProjectMix:
    """A department's projects that are not lost, by size, industry and technology."""

    total: int = 0
    major: int = 0
    industrial: int = 0
    services: int = 0
    high_tech: int = 0


@dataclass(frozen=True)
class Reason:
    """One sub-reason of 有项目，项目不多."""

    code: str
    label: str


@dataclass(frozen=True)
class Flag:
    """One of the 三有三不 raised for a department, with the figures behind it."""

    code: str
    label: str
    detail: str  # the figures in a sentence, in the current language
    figures: dict[str, Decimal | int | None]
    reasons: tuple[Reason, ...] = ()


@dataclass
class Diagnosis:
    """One department's 三有三不 (empty `flags`: none of the three applies)."""

    department_id: int
    department_name: str
    rank: int
    mix: ProjectMix
    flags: list[Flag] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def flag(self, code: str) -> Flag | None:
        return next((f for f in self.flags if f.code == code), None)

    @property
    def weak_action(self) -> Flag | None:
        return self.flag(WEAK_ACTION)

    @property
    def slow_progress(self) -> Flag | None:
        return self.flag(SLOW_PROGRESS)

    @property
    def few_projects(self) -> Flag | None:
        return self.flag(FEW_PROJECTS)


def project_mix(*, department_ids, as_of: date) -> dict[int, ProjectMix]:
    """Every department's project mix: one aggregate query grouped by department.

    Counts the projects not lost on `as_of` (a project lost later still counted then) and
    not denied the credit (the same project counts in another department).
    Departments without projects are absent from the result.
    """
    major = Q(planned_investment__gte=settings.MAJOR_PROJECT_MIN_INVESTMENT)
    rows = (
        Project.objects.credited()
        .filter(department_id__in=department_ids)
        .filter(Q(lost_on__isnull=True) | Q(lost_on__gt=as_of))
        .order_by()
        .values("department_id")
        .annotate(
            total=Count("id"),
            major=Count("id", filter=major),
            industrial=Count("id", filter=Q(industry=Industry.INDUSTRIAL)),
            services=Count("id", filter=Q(industry=Industry.SERVICES)),
            high_tech=Count("id", filter=Q(is_high_tech=True)),
        )
    )
    return {
        row["department_id"]: ProjectMix(
            total=row["total"],
            major=row["major"],
            industrial=row["industrial"],
            services=row["services"],
            high_tech=row["high_tech"],
        )
        for row in rows
    }


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'))}%"


def _threshold(value: Decimal) -> str:
    """A threshold as the competition sets it: 0.70 -> "70%" (a score keeps one decimal)."""
    return f"{(value * 100).normalize():f}%"


def weak_action_flag(
    *, actual: Decimal, target: Decimal, ratio: Decimal | None, threshold: Decimal
) -> Flag | None:
    """有行动，行动不力: visit_batches scored and its ratio below `threshold`, or no visits."""
    if ratio is None:
        return None
    if not (ratio < threshold or actual == 0):
        return None
    if actual == 0:
        detail = gettext("竞赛开始以来未接待客商（任务%(target)s批次）") % {"target": int(target)}
    else:
        detail = gettext(
            "接待客商%(actual)s批次（任务%(target)s批次），时序进度完成率%(ratio)s，"
            "低于%(threshold)s"
        ) % {
            "actual": int(actual),
            "target": int(target),
            "ratio": _percent(ratio),
            "threshold": _threshold(threshold),
        }
    return Flag(
        code=WEAK_ACTION,
        label=str(FLAG_LABELS[WEAK_ACTION]),
        detail=detail,
        figures={
            "visit_batches": int(actual),
            "target": int(target),
            "ratio": ratio,
            "threshold": threshold,
        },
    )


def slow_progress_flag(
    *,
    intent: Decimal,
    signed: Decimal,
    groundbreaking: Decimal,
    signed_target: Decimal = Decimal(0),
    signed_ratio: Decimal | None = None,
    threshold: Decimal = Decimal("0.70"),
) -> Flag | None:
    """有进展，进展不快: intent projects in the window, none breaking ground, and signing
    behind the timeline (its ratio below `threshold`; none signed where it is not scored)."""
    if not (intent > 0 and groundbreaking == 0):
        return None
    behind = signed == 0 if signed_ratio is None else signed_ratio < threshold
    if not behind:
        return None
    if signed_ratio is None:
        detail = gettext("签订意向项目%(intent)s个，正式签约和开工建设的一个也没有") % {
            "intent": int(intent)
        }
    else:
        detail = gettext(
            "签订意向项目%(intent)s个，正式签约%(signed)s个（任务%(target)s个），"
            "时序进度完成率%(ratio)s，低于%(threshold)s；开工建设0个"
        ) % {
            "intent": int(intent),
            "signed": int(signed),
            "target": int(signed_target),
            "ratio": _percent(signed_ratio),
            "threshold": _threshold(threshold),
        }
    return Flag(
        code=SLOW_PROGRESS,
        label=str(FLAG_LABELS[SLOW_PROGRESS]),
        detail=detail,
        figures={
            "intent_projects": int(intent),
            "signed_projects": int(signed),
            "groundbreaking_projects": int(groundbreaking),
            "signed_ratio": signed_ratio,
            "threshold": threshold,
        },
    )


def median_projects(mix: dict[int, ProjectMix], *, department_ids) -> Decimal:
    """The median number of followed projects over `department_ids` (0 for those absent)."""
    totals = [mix[d].total if d in mix else 0 for d in department_ids]
    return Decimal(str(statistics.median(totals))) if totals else Decimal(0)


def few_projects_flag(*, mix: ProjectMix, median: Decimal) -> Flag | None:
    """有项目，项目不多: projects, but fewer than half the departments' `median`; `reasons`
    describe their mix (no major one, fewer industrial than services, no high-tech one)."""
    if mix.total == 0 or not mix.total * 2 < median:
        return None
    codes = []
    if mix.major == 0:
        codes.append(NO_MAJOR)
    if mix.industrial < mix.services:
        codes.append(FEW_INDUSTRIAL)
    if mix.high_tech == 0:
        codes.append(NO_HIGH_TECH)
    threshold = settings.MAJOR_PROJECT_MIN_INVESTMENT.normalize()
    return Flag(
        code=FEW_PROJECTS,
        label=str(FLAG_LABELS[FEW_PROJECTS]),
        detail=gettext(
            "在跟踪项目%(total)s个，不足各部门中位数（%(median)s个）的一半；其中"
            "%(threshold)s万元以上%(major)s个，工业%(industrial)s个、服务业%(services)s个，"
            "高新技术%(high_tech)s个"
        )
        % {
            "total": mix.total,
            "median": f"{median.normalize():f}",
            "threshold": f"{threshold:f}",
            "major": mix.major,
            "industrial": mix.industrial,
            "services": mix.services,
            "high_tech": mix.high_tech,
        },
        figures={
            "projects": mix.total,
            "median": median,
            "major": mix.major,
            "industrial": mix.industrial,
            "services": mix.services,
            "high_tech": mix.high_tech,
        },
        reasons=tuple(Reason(code=c, label=str(REASON_LABELS[c])) for c in codes),
    )


def diagnose(*, league: League, mix: dict[int, ProjectMix] | None = None) -> list[Diagnosis]:
    """Every department of `league`, in rank order, with the 三有三不 flags that apply.

    `mix` is project_mix()'s result; it is queried here (one query) when not given.
    """
    department_ids = [r.department_id for r in league.rows]
    if mix is None:
        mix = project_mix(department_ids=department_ids, as_of=league.as_of)
    threshold = Decimal(league.competition.yellow_threshold)
    median = median_projects(mix, department_ids=department_ids)
    diagnoses = []
    for row in league.rows:
        department_mix = mix.get(row.department_id, ProjectMix())
        flags = [
            weak_action_flag(
                actual=row.actuals[Metric.VISIT_BATCHES],
                target=row.targets[Metric.VISIT_BATCHES],
                ratio=row.ratios[Metric.VISIT_BATCHES],
                threshold=threshold,
            ),
            slow_progress_flag(
                intent=row.actuals[Metric.INTENT_PROJECTS],
                signed=row.actuals[Metric.SIGNED_PROJECTS],
                groundbreaking=row.actuals[Metric.GROUNDBREAKING_PROJECTS],
                signed_target=row.targets[Metric.SIGNED_PROJECTS],
                signed_ratio=row.ratios[Metric.SIGNED_PROJECTS],
                threshold=threshold,
            ),
            few_projects_flag(mix=department_mix, median=median),
        ]
        diagnoses.append(
            Diagnosis(
                department_id=row.department_id,
                department_name=row.department_name,
                rank=row.rank,
                mix=department_mix,
                flags=[f for f in flags if f is not None],
            )
        )
    return diagnoses


def flag_counts(diagnoses: list[Diagnosis]) -> dict[str, int]:
    """How many departments carry each flag (in FLAGS order)."""
    return {code: sum(1 for d in diagnoses if d.flag(code)) for code in FLAGS}


def reason_counts(diagnoses: list[Diagnosis]) -> dict[str, int]:
    """How many departments carry each sub-reason of 有项目，项目不多."""
    counts = dict.fromkeys(REASON_LABELS, 0)
    for diagnosis in diagnoses:
        flag = diagnosis.few_projects
        for reason in flag.reasons if flag else ():
            counts[reason.code] += 1
    return counts
