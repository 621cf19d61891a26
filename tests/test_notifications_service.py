"""notify(): one row per distinct active recipient, inside the caller's transaction."""

import pytest
from django.db import transaction

from notifications.models import Notification
from notifications.services import liaisons_of, notify, office_users


def test_one_row_per_distinct_active_recipient(liaison, other_liaison, office):
    other_liaison.is_active = False
    other_liaison.save()

    rows = notify(
        recipients=[liaison, liaison.pk, other_liaison, None],
        kind=Notification.Kind.RECORD_RETURNED,
        title="项目节点被退回",
        url="/projects/1/",
    )

    assert [r.recipient_id for r in rows] == [liaison.pk]
    assert Notification.objects.get().title == "项目节点被退回"


def test_rolled_back_with_the_change_it_reports(liaison):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[liaison], kind=Notification.Kind.CARD_ISSUED, title="黄牌")
        raise RuntimeError

    assert not Notification.objects.exists()


def test_who_to_tell(commerce, liaison, other_liaison, office):
    assert liaisons_of([commerce.pk]) == [liaison.pk]
    assert office_users() == [office.pk]
