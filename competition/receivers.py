"""Scoring listens to data entry: counted records changing mark competitions stale.

Registered in CompetitionConfig.ready(); the projects app knows nothing of scores.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from competition.league.recompute import mark_competition_stale, mark_stale
from competition.models import Competition, MetricWeight, Quota
from projects.models import Milestone, Project, Receipt, Visit
from projects.signals import records_changed

DATED = (Milestone, Receipt, Visit)


@receiver(pre_save, sender=Milestone)
@receiver(pre_save, sender=Receipt)
@receiver(pre_save, sender=Visit)
def remember_stored_date(sender, instance, raw=False, **kwargs):
    """An edit can move a record out of a date: remember where it was."""
    if instance.pk and not raw:
        instance._stored_occurred_on = (
            sender.objects.filter(pk=instance.pk).values_list("occurred_on", flat=True).first()
        )


@receiver(post_save, sender=Milestone)
@receiver(post_save, sender=Receipt)
@receiver(post_save, sender=Visit)
@receiver(post_delete, sender=Milestone)
@receiver(post_delete, sender=Receipt)
@receiver(post_delete, sender=Visit)
def dated_record_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    dates = [d for d in (instance.occurred_on, getattr(instance, "_stored_occurred_on", None)) if d]
    mark_stale(on=min(dates) if dates else None)


@receiver(records_changed)
def records_changed_in_bulk(sender, dates, **kwargs):
    """Verify, return, resubmit and mark-lost update rows without save()."""
    known = [d for d in dates if d is not None]
    mark_stale(on=min(known) if known else None)


@receiver(post_save, sender=Project)
@receiver(post_delete, sender=Project)
def project_changed(sender, instance, created=False, raw=False, **kwargs):
    # A new project has no dated records yet; an edit may change its department or loss.
    if not created and not raw:
        mark_stale(on=None)


@receiver(post_save, sender=Quota)
@receiver(post_delete, sender=Quota)
@receiver(post_save, sender=MetricWeight)
@receiver(post_delete, sender=MetricWeight)
def settings_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _mark_one(instance.competition_id)


@receiver(post_save, sender=Competition)
def competition_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw and not (update_fields and set(update_fields) <= {"stale_from", "stale_since"}):
        _mark_one(instance.pk)


def _mark_one(competition_id: int) -> None:
    start = Competition.objects.filter(pk=competition_id).values_list("start_date", flat=True)
    if start:
        mark_competition_stale(competition_id, start[0])
