"""The stage rule (projects.rules) applied to a project's stored records.

Every entry path shares these checks: the models' clean() (so the admin's and the pages'
forms), the services (resubmitting a returned record) and the loss form. They read the
stored records through the project's own relations (`project.milestones`,
`project.receipts`), not through the model classes: projects.models calls them, and
importing it back would be an import circle. Every save of a milestone or receipt checks
the order again under the project's lock (`check_recorded_order`, from
projects.progress), where records saved together with it or by another user meanwhile
are in sight.

Returned records are left out: they never count and are usually returned precisely
because a date was wrong.
"""

from collections.abc import Collection, Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from projects import rules
from projects.choices import ReviewStatus, Stage

LIVE = (ReviewStatus.PENDING, ReviewStatus.VERIFIED)  # what the order rule compares


def stored_records(project, *, milestone=None, receipt=None) -> list[tuple[int, date, str]]:
    """`project`'s milestones and receipts as (stage, date, status), receipts as "funds
    received", with the candidate `milestone` or `receipt` in place of its stored version
    (same pk; for a milestone, also the stored one of its stage: one per stage)."""
    return records_with(
        project,
        milestones=[milestone] if milestone is not None else [],
        receipts=[receipt] if receipt is not None else [],
    )


def records_with(
    project,
    *,
    milestones=(),
    receipts=(),
    removed_milestones: Collection[int] = (),
    removed_receipts: Collection[int] = (),
) -> list[tuple[int, date, str]]:
    """`stored_records` with several candidates at once (rows saved together: the admin's
    inline), and the stored records deleted with them (by pk) left out."""
    records: list[tuple[int, date, str]] = []
    if project.pk:
        replaced = {m.pk for m in milestones if m.pk} | set(removed_milestones)
        stages = {m.stage for m in milestones}
        for m in project.milestones.values("id", "stage", "occurred_on", "status"):
            if m["id"] not in replaced and m["stage"] not in stages:
                records.append((m["stage"], m["occurred_on"], m["status"]))
        replaced = {r.pk for r in receipts if r.pk} | set(removed_receipts)
        for pk, d, s in project.receipts.values_list("id", "occurred_on", "status"):
            if pk not in replaced:
                records.append((Stage.FUNDED, d, s))
    records += [(m.stage, m.occurred_on, m.status) for m in milestones]
    records += [(Stage.FUNDED, r.occurred_on, r.status) for r in receipts]
    return records


def stage_dates(project, *, milestone=None, receipt=None) -> dict[int, date]:
    """The date recorded for each stage of `project`, with `milestone`/`receipt` applied."""
    return _recorded_dates(stored_records(project, milestone=milestone, receipt=receipt))


def _recorded_dates(records: Iterable[tuple[int, date, str]]) -> dict[int, date]:
    """The date each stage was recorded on, among the live records (returned ones left out)."""
    return rules.recorded_dates(rules.counted_dates(records, statuses=LIVE, lost_on=None))


def latest_record_date(project) -> date | None:
    """The latest date among `project`'s milestones and receipts (every tranche).

    Returned records are left out: they never count.
    """
    if not project.pk:
        return None
    latest = [
        records.exclude(status=ReviewStatus.RETURNED).aggregate(latest=Max("occurred_on"))["latest"]
        for records in (project.milestones, project.receipts)
    ]
    return max((d for d in latest if d is not None), default=None)


def check_lost_on(project, lost_on: date) -> None:
    """A project is lost after everything it reached: refuse a date before its latest stage."""
    latest = latest_record_date(project)
    if latest and lost_on < latest:
        raise ValidationError(
            {"lost_on": _("流失日期不能早于项目最后一个节点的日期（%(d)s）。") % {"d": latest}}
        )


def check_stage_order(project, *, milestone=None, receipt=None) -> None:
    """Raise a ValidationError on `occurred_on` if the change would make stage dates go backwards.

    A returned candidate does not count, so its own date is not checked: returning a record
    is how a wrong date gets fixed. Leaving it out may still move the funded date (when
    the first receipt is returned), so the order of the remaining dates is checked.
    """
    candidate = milestone or receipt
    when = candidate.occurred_on
    counts = candidate.status != ReviewStatus.RETURNED
    if counts and rules.after_loss(when, lost_on=project.lost_on):
        raise ValidationError(
            {
                "occurred_on": _("项目已于%(lost)s流失，不能登记之后的节点。")
                % {"lost": project.lost_on}
            }
        )
    dates = stage_dates(project, milestone=milestone, receipt=receipt)
    if receipt is not None and counts:
        early = rules.stages_after_tranche(dates, tranche=when)
        if early:
            stage = early[0]
            raise ValidationError(
                {
                    "occurred_on": _("到账日期（%(d)s）不能早于%(stage)s日期（%(s)s）。")
                    % {"d": when, "stage": Stage(stage).label, "s": dates[stage]}
                }
            )
    check_order(dates)


def check_recorded_order(records: Iterable[tuple[int, date, str]]) -> None:
    """`check_order` of a project's records as stored ((stage, date, status), returned ones
    left out): what a service checks again under the project's lock, where records saved
    together or by two users at once are all in sight."""
    check_order(_recorded_dates(records))


def check_order(dates: dict[int, date]) -> None:
    """Raise a ValidationError on `occurred_on` if the recorded stage dates go backwards."""
    pair = rules.first_backward_pair(dates)
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
