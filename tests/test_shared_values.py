"""Values kept on the shared cache and forgotten when they change (web.shared_values): the
header's unread count (notifications.services) and the evidence policies (projects.policy).

Kept only with SHARED_VALUES (set when CACHE_URL names a Redis); these tests turn it on
over the test's own LocMem store, which is one store here since the tests run in one
process. Forgetting happens after commit: the tests that write run the commit callbacks
(django_capture_on_commit_callbacks), except the one that commits for real.
"""

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from notifications.services import (
    Kind,
    delete_notifications,
    mark_all_read,
    mark_read,
    notify,
    unread_count,
)
from projects import services as project_services
from projects.models import EvidencePolicy
from projects.policy import DEFAULTS, Policy, current_policies
from web.shared_values import forget, shared_value

pytestmark = pytest.mark.django_db
shared_values = override_settings(SHARED_VALUES=True)


@pytest.fixture(autouse=True)
def _nothing_kept_from_other_tests():
    """Keys name user ids, which the next test's users reuse: each test starts empty."""
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def tell(user, title="项目节点被退回"):
    return notify(recipients=[user], kind=Kind.RECORD_RETURNED, title=title, url="/")[0]


def queries_of(table: str, call):
    """`call()`'s result and the statements it sent that name `table`."""
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, [q["sql"] for q in captured if table in q["sql"]]


def unreachable(monkeypatch):
    """The shared cache raises as a Redis that is down does."""

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get", "set", "delete", "delete_many"):
        monkeypatch.setattr(caches["shared"], method, down)


# The helper --------------------------------------------------------------------------------
@shared_values
def test_a_value_is_computed_once_then_read_until_forgotten():
    computed = []

    def compute():
        computed.append(1)
        return 0  # a kept 0 is a hit, not a miss

    assert [shared_value("figure:1", compute, seconds=60) for _ in range(3)] == [0, 0, 0]
    assert len(computed) == 1
    forget("figure:1")
    shared_value("figure:1", compute, seconds=60)
    assert len(computed) == 2


@shared_values
def test_a_value_is_kept_for_the_given_seconds_only(time_machine):
    time_machine.move_to("2026-05-04 09:00:00+08:00", tick=False)
    computed = []
    shared_value("figure:1", lambda: computed.append(1), seconds=60)
    time_machine.move_to("2026-05-04 09:00:59+08:00", tick=False)
    shared_value("figure:1", lambda: computed.append(1), seconds=60)
    assert len(computed) == 1
    time_machine.move_to("2026-05-04 09:01:01+08:00", tick=False)
    shared_value("figure:1", lambda: computed.append(1), seconds=60)
    assert len(computed) == 2


@override_settings(SHARED_VALUES=False)
def test_without_shared_values_nothing_is_kept():
    computed = []
    for _ in range(2):
        shared_value("figure:1", lambda: computed.append(1) or 5, seconds=60)
    assert len(computed) == 2
    assert caches["shared"].get("figure:1") is None


# The header's unread count -----------------------------------------------------------------
@shared_values
def test_the_second_count_reads_no_database(liaison):
    tell(liaison)
    count, counted = queries_of("notifications_notification", lambda: unread_count(liaison))
    assert (count, len(counted)) == (1, 1)
    with CaptureQueriesContext(connection) as captured:
        assert unread_count(liaison) == 1
    assert len(captured) == 0


@shared_values
def test_the_header_reads_the_kept_count(client, liaison):
    tell(liaison)
    client.force_login(liaison)
    client.get("/")  # keeps it
    page, counted = queries_of("notifications_notification", lambda: client.get("/"))
    assert 'aria-label="1条未读">1</span>' in page.content.decode()
    assert counted == []


@override_settings(SHARED_VALUES=False)
def test_without_shared_values_every_count_queries(liaison):
    tell(liaison)
    for _ in range(2):
        count, counted = queries_of("notifications_notification", lambda: unread_count(liaison))
        assert (count, len(counted)) == (1, 1)


@shared_values
def test_a_notification_shows_once_its_transaction_commits(
    liaison, other_liaison, django_capture_on_commit_callbacks
):
    tell(liaison)
    assert (unread_count(liaison), unread_count(other_liaison)) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notify(recipients=[liaison, other_liaison], kind=Kind.CARD_ISSUED, title="黄牌")
    assert (unread_count(liaison), unread_count(other_liaison)) == (2, 1)


@shared_values
def test_a_notification_rolled_back_never_shows(liaison):
    assert unread_count(liaison) == 0
    with pytest.raises(RuntimeError), transaction.atomic():
        tell(liaison)
        # Read before the commit: the kept count, not the uncommitted row kept for later.
        assert unread_count(liaison) == 0
        raise RuntimeError("the change that notified failed")
    assert unread_count(liaison) == 0 and not Notification.objects.exists()


@shared_values
def test_marking_one_read_counts_one_fewer(liaison, django_capture_on_commit_callbacks):
    row = tell(liaison)
    tell(liaison, title="第二条")
    assert unread_count(liaison) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_read(row)
    assert unread_count(liaison) == 1


@shared_values
def test_marking_all_read_counts_none(liaison, other_liaison, django_capture_on_commit_callbacks):
    tell(liaison)
    tell(liaison, title="第二条")
    tell(other_liaison)
    assert (unread_count(liaison), unread_count(other_liaison)) == (2, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_all_read(liaison) == 2
    assert (unread_count(liaison), unread_count(other_liaison)) == (0, 1)


@shared_values
def test_deleting_notifications_forgets_their_recipients_counts(
    liaison, other_liaison, django_capture_on_commit_callbacks
):
    tell(liaison)
    tell(other_liaison)
    assert (unread_count(liaison), unread_count(other_liaison)) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = delete_notifications(Notification.objects.filter(recipient=liaison))
    assert deleted == 1
    assert (unread_count(liaison), unread_count(other_liaison)) == (0, 1)


@shared_values
@pytest.mark.django_db(transaction=True)
def test_a_mark_shows_on_the_next_page(client, liaison):
    """Committed for real (no test transaction around it): the mark forgets at once."""
    row = tell(liaison)
    tell(liaison, title="第二条")
    client.force_login(liaison)
    assert ">2</span>" in client.get("/").content.decode()
    client.post(reverse("notifications:read", args=[row.pk]))
    assert ">1</span>" in client.get("/").content.decode()
    client.post(reverse("notifications:read_all"))
    assert 'class="notification-count"' not in client.get("/").content.decode()


@shared_values
def test_an_unreachable_cache_counts_in_the_database(
    liaison, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    row = tell(liaison)
    unreachable(monkeypatch)
    assert unread_count(liaison) == 1
    assert "shared cache unavailable: unread computed without it" in caplog.text
    with django_capture_on_commit_callbacks(execute=True):
        mark_read(row)  # forgetting fails too: logged, never raised
    assert "shared cache unavailable: unread not forgotten" in caplog.text
    assert unread_count(liaison) == 0


@shared_values
def test_a_cache_that_cannot_keep_still_counts(liaison, monkeypatch, caplog):
    tell(liaison)

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(caches["shared"], "set", down)
    assert unread_count(liaison) == 1
    assert "shared cache unavailable: unread not kept" in caplog.text


# The evidence policies ---------------------------------------------------------------------
def policy_queries():
    return queries_of("projects_evidencepolicy", current_policies)


@shared_values
def test_the_second_read_of_the_policies_reads_no_database():
    policies, read = policy_queries()
    assert policies == DEFAULTS and len(read) == 1
    with CaptureQueriesContext(connection) as captured:
        assert current_policies() == DEFAULTS
    assert len(captured) == 0


@override_settings(SHARED_VALUES=False)
def test_without_shared_values_every_read_of_the_policies_queries():
    for _ in range(2):
        _policies, read = policy_queries()
        assert len(read) == 1


@shared_values
def test_the_office_page_s_save_applies_at_once(office, django_capture_on_commit_callbacks):
    assert current_policies()["intent"].required is False
    row = EvidencePolicy.objects.get(kind="intent")
    row.required, row.document = True, "意向协议"
    with django_capture_on_commit_callbacks(execute=True):
        project_services.save_policies([row], by=office)
    policies = current_policies()
    assert policies["intent"] == Policy("intent", True, "意向协议")
    assert policies["signed"] == DEFAULTS["signed"]  # the others as they were


@shared_values
def test_rows_made_for_missing_kinds_are_read_afresh(office, django_capture_on_commit_callbacks):
    EvidencePolicy.objects.filter(kind="visit").delete()  # an older database: no visit row
    current_policies()  # kept without it
    assert caches["shared"].get("evidence_policies") is not None
    with django_capture_on_commit_callbacks(execute=True):
        project_services.policy_rows()
    assert caches["shared"].get("evidence_policies") is None
    _policies, read = policy_queries()
    assert len(read) == 1


@shared_values
def test_an_admin_change_applies_at_once(admin_client, django_capture_on_commit_callbacks):
    assert current_policies()["visit"].required is False
    row = EvidencePolicy.objects.get(kind="visit")
    url = reverse("admin:projects_evidencepolicy_change", args=[row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"required": "on", "document": "接待照片"})
    assert response.status_code == 302
    assert current_policies()["visit"] == Policy("visit", True, "接待照片")


@shared_values
def test_an_admin_list_edit_applies_at_once(admin_client, django_capture_on_commit_callbacks):
    assert current_policies()["signed"].required is True
    rows = list(EvidencePolicy.objects.order_by("id"))
    form = {
        "form-TOTAL_FORMS": len(rows),
        "form-INITIAL_FORMS": len(rows),
        "_save": "保存",
    }
    for i, row in enumerate(rows):
        form[f"form-{i}-id"] = row.pk
        form[f"form-{i}-document"] = row.document
        if row.required and row.kind != "signed":
            form[f"form-{i}-required"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:projects_evidencepolicy_changelist"), form)
    assert response.status_code == 302
    assert current_policies()["signed"] == Policy("signed", False, "合同")


@shared_values
def test_an_unreachable_cache_reads_the_policies_from_the_database(monkeypatch, caplog):
    EvidencePolicy.objects.filter(kind="intent").update(required=True)
    unreachable(monkeypatch)
    assert current_policies()["intent"].required is True
    assert "shared cache unavailable: evidence_policies computed without it" in caplog.text
