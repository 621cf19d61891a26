"""Keep each project's stored progress in step when its records or its loss change.

Registered in ProjectsConfig.ready(). These cover save() and delete(); the writes that
bypass them (update() in projects.services, bulk writes) call projects.progress
themselves. Raw saves (loaddata) bring the stored columns with the rows.
"""

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from projects.models import Milestone, Project, Receipt
from projects.progress import refresh_progress


@receiver(post_save, sender=Milestone)
@receiver(post_save, sender=Receipt)
def record_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # An edit may have moved the record from another project: that one changes too.
    refresh_progress([instance.project_id, getattr(instance, "_loaded_project_id", None)])
    instance._loaded_project_id = instance.project_id


@receiver(post_delete, sender=Milestone)
@receiver(post_delete, sender=Receipt)
def record_deleted(sender, instance, origin=None, **kwargs):
    deleting_project = isinstance(origin, Project) or (
        isinstance(origin, QuerySet) and origin.model is Project
    )
    if not deleting_project:  # the project's own deletion takes its records along
        refresh_progress([instance.project_id])


@receiver(post_save, sender=Project)
def project_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    # A new project has no records yet. A saved one may have a new (or no) loss date, which
    # bounds the records that count; the save writes every field, lost_on included.
    if created or raw:
        return
    if update_fields is None or "lost_on" in update_fields:
        refresh_progress([instance.pk])
