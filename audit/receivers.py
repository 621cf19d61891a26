"""History rows written while a request is handled get the request's address.

simple_history announces each history row it writes (post_create_historical_record, a
signal of the audit library about its own rows, not of our models). Connected in
AuditConfig.ready().
"""

from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from accounts.models import ChangeAddress
from audit import changes as audit
from web.addresses import current_address


@receiver(post_create_historical_record, dispatch_uid="accounts_change_address")
def remember_change_address(sender, instance, history_instance, **kwargs):
    """A history row written while a request is handled: store the request's address."""
    address = current_address.get()
    label = instance._meta.label
    if address is None or label not in audit.AUDITED_LABELS:
        return
    ChangeAddress.objects.create(model=label, history_id=history_instance.pk, address=address)
    audit.note_recorded(label, history_instance.pk)
