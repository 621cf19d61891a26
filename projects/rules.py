"""Rules every entry path shares (admin, forms, imports): the order of stage dates.

A project's stages are ordered lead → intent → signed → funds received → groundbreaking.
The "funds received" date is the project's first receipt. Stage dates must never go
backwards along that order. Returned records are left out: they never count and are
usually returned precisely because a date was wrong.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from projects.models import Milestone, Project, Receipt, ReviewStatus, Stage


def stage_dates(
    project: Project,
    *,
    milestone: Milestone | None = None,
    receipt: Receipt | None = None,
) -> dict[int, date]:
    """The date of each stage recorded for `project`, with `milestone`/`receipt` applied.

    The candidate record replaces its stored version (same pk) or is added to the rest.
    """
    dates: dict[int, date] = {}
    if project.pk:
        stored = Milestone.objects.filter(project=project).exclude(status=ReviewStatus.RETURNED)
        for m in stored.values("id", "stage", "occurred_on"):
            if milestone is not None and (m["id"] == milestone.pk or m["stage"] == milestone.stage):
                continue
            dates[m["stage"]] = m["occurred_on"]
    if milestone is not None and milestone.status != ReviewStatus.RETURNED:
        dates[milestone.stage] = milestone.occurred_on
    receipt_dates = _receipt_dates(project, receipt)
    if receipt_dates:
        dates[Stage.FUNDED] = min(receipt_dates)
    return dates


def _receipt_dates(project: Project, receipt: Receipt | None) -> list[date]:
    found: list[date] = []
    if project.pk:
        stored = Receipt.objects.filter(project=project).exclude(status=ReviewStatus.RETURNED)
        if receipt is not None and receipt.pk:
            stored = stored.exclude(pk=receipt.pk)
        found = list(stored.values_list("occurred_on", flat=True))
    if receipt is not None and receipt.status != ReviewStatus.RETURNED:
        found.append(receipt.occurred_on)
    return found


def latest_record_date(project: Project) -> date | None:
    """The latest date among `project`'s milestones and receipts (every tranche).

    Returned records are left out: they never count.
    """
    if not project.pk:
        return None
    latest = [
        model.objects.filter(project=project)
        .exclude(status=ReviewStatus.RETURNED)
        .aggregate(latest=Max("occurred_on"))["latest"]
        for model in (Milestone, Receipt)
    ]
    return max((d for d in latest if d is not None), default=None)


def first_backward_pair(dates: dict[int, date]) -> tuple[int, int] | None:
    """Return (earlier_stage, later_stage) of the first pair whose dates go backwards."""
    # Neighbours in order suffice: non-decreasing neighbours make every pair non-decreasing.
    previous: int | None = None
    for stage in sorted(dates):
        if previous is not None and dates[stage] < dates[previous]:
            return previous, stage
        previous = stage
    return None


def check_stage_order(
    project: Project,
    *,
    milestone: Milestone | None = None,
    receipt: Receipt | None = None,
) -> None:
    """Raise a ValidationError on `occurred_on` if the change would make stage dates go backwards.

    A returned candidate does not count, so its own date is not checked: returning a record
    is how a wrong date gets fixed. Leaving it out may still move the funded date (when
    the first receipt is returned), so the order of the remaining dates is checked.
    """
    candidate = milestone or receipt
    when = candidate.occurred_on
    counts = candidate.status != ReviewStatus.RETURNED
    if counts and project.lost_on and when > project.lost_on:
        raise ValidationError(
            {
                "occurred_on": _("项目已于%(lost)s流失，不能登记之后的节点。")
                % {"lost": project.lost_on}
            }
        )
    dates = stage_dates(project, milestone=milestone, receipt=receipt)
    if receipt is not None and counts:
        # Every tranche comes after the signing stages, not just the first one.
        earlier = {s: d for s, d in dates.items() if s < Stage.FUNDED}
        for stage, stage_date in sorted(earlier.items()):
            if when < stage_date:
                raise ValidationError(
                    {
                        "occurred_on": _("到账日期（%(d)s）不能早于%(stage)s日期（%(s)s）。")
                        % {"d": when, "stage": Stage(stage).label, "s": stage_date}
                    }
                )
    pair = first_backward_pair(dates)
    if pair is not None:
        a, b = pair
        raise ValidationError(
            {
                "occurred_on": _("%(later)s日期（%(ld)s）不能早于%(earlier)s日期（%(ed)s）。")
                % {
                    "later": Stage(b).label,
                    "ld": dates[b],
                    "earlier": Stage(a).label,
                    "ed": dates[a],
                }
            }
        )
