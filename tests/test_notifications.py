"""通知: the list page, read marks, the header's count, e-mails and the preference.

Personas: the liaison of 商务局 (`liaison`), the liaison of 财政局 (`other_liaison`), the
office and a leader (tests/conftest.py). E-mails land in django.core.mail.outbox
(pytest-django's locmem backend); they are queued after commit, so the tests that send
run the commit callbacks (django_capture_on_commit_callbacks).
"""

import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from notifications import emails
from notifications.mail import send_notification_emails
from notifications.models import EmailTemplate, Notification, NotificationPreference
from notifications.services import Kind, notify, set_email_enabled, unread_count
from notifications.tasks import sweep_unsent_emails

LIST = reverse("notifications:list")


def tell(user, title="项目节点被退回", url="/projects/returned/", **fields):
    return notify(recipients=[user], kind=Kind.RECORD_RETURNED, title=title, url=url, **fields)[0]


@pytest.fixture
def with_email(liaison):
    liaison.email = "sunli@example.gov.cn"
    liaison.save()
    return liaison


# The list ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "persona", ["liaison", "other_liaison", "staff_member", "office", "leader"]
)
def test_every_role_sees_its_own_list(client, request, persona):
    user = request.getfixturevalue(persona)
    tell(user, title=f"给{persona}的通知")
    client.force_login(user)
    page = client.get(LIST).content.decode()
    assert f"给{persona}的通知" in page
    assert page.count("row-unread") == 1


def test_newest_first_unread_marked_and_linked(client, liaison):
    old = tell(liaison, title="较早的通知")
    tell(liaison, title="较新的通知", url="/league/?as_of=2026-04-30")
    Notification.objects.filter(pk=old.pk).update(read_at="2026-04-30T10:00:00+08:00")
    client.force_login(liaison)
    page = client.get(LIST).content.decode()
    assert page.index("较新的通知") < page.index("较早的通知")
    assert '<a href="/league/?as_of=2026-04-30">较新的通知</a>' in page
    assert page.count("row-unread") == 1


@pytest.mark.parametrize(
    "url", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "projects/1/"]
)
def test_a_link_elsewhere_is_shown_as_text(client, liaison, url):
    tell(liaison, title="可疑链接", url=url)
    client.force_login(liaison)
    page = client.get(LIST).content.decode()
    assert "可疑链接" in page
    assert url not in page


def test_another_users_notifications_are_not_listed(client, liaison, other_liaison):
    tell(other_liaison, title="财政局的通知")
    client.force_login(liaison)
    assert "财政局的通知" not in client.get(LIST).content.decode()


def test_filter_by_kind_and_unread(client, liaison):
    tell(liaison, title="退回")
    read = notify(recipients=[liaison], kind=Kind.WEEKLY_SUMMARY, title="小结")[0]
    Notification.objects.filter(pk=read.pk).update(read_at="2026-04-30T10:00:00+08:00")
    client.force_login(liaison)
    page = client.get(LIST, {"kind": "weekly_summary"}).content.decode()
    assert "小结" in page and "退回" not in page.split("<table")[1]
    page = client.get(LIST, {"unread": "true"}).content.decode()
    assert ">退回<" in page and ">小结<" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "no_such_kind"},
        {"unread": "maybe"},
        {"page": "-1"},
        {"page": "x"},
        {"sort": "recipient__password"},
        {"kind": "<script>", "unread": "\x00"},
    ],
)
def test_any_query_string_is_a_page(client, liaison, query):
    tell(liaison)
    client.force_login(liaison)
    assert client.get(LIST, query).status_code in (200, 404)  # 404: a page out of range


def test_a_long_text_is_shown_under_details(client, liaison):
    notify(recipients=[liaison], kind=Kind.WEEKLY_SUMMARY, title="小结", body="排名：第2名")
    client.force_login(liaison)
    assert "排名：第2名" in client.get(LIST).content.decode()


# Read marks ---------------------------------------------------------------------------------
def test_mark_one_read(client, liaison):
    row = tell(liaison)
    client.force_login(liaison)
    response = client.post(reverse("notifications:read", args=[row.pk]), {"next": "/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/?x=1"
    row.refresh_from_db()
    assert row.read_at is not None
    assert unread_count(liaison) == 0


def test_mark_read_goes_back_only_to_this_site(client, liaison):
    row = tell(liaison)
    client.force_login(liaison)
    response = client.post(
        reverse("notifications:read", args=[row.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_another_users_notification_cannot_be_marked(client, liaison, other_liaison):
    row = tell(other_liaison)
    client.force_login(liaison)
    assert client.post(reverse("notifications:read", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_read_needs_post(client, liaison):
    row = tell(liaison)
    client.force_login(liaison)
    assert client.get(reverse("notifications:read", args=[row.pk])).status_code == 405
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read_marks_only_ones_own(client, liaison, other_liaison):
    tell(liaison)
    tell(liaison, title="第二条")
    theirs = tell(other_liaison)
    client.force_login(liaison)
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert unread_count(liaison) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_forms_carry_the_csrf_token(client, liaison):
    tell(liaison)
    client.force_login(liaison)
    page = client.get(LIST).content.decode()
    assert page.count("csrfmiddlewaretoken") == page.count('method="post"')


# The header's count ------------------------------------------------------------------------
def test_the_header_counts_unread_notifications_on_every_page(client, liaison, other_liaison):
    client.force_login(liaison)
    assert 'class="notification-count"' not in client.get("/").content.decode()
    tell(liaison)
    row = tell(liaison, title="第二条")
    tell(other_liaison)
    page = client.get("/").content.decode()
    assert 'class="notification-count" aria-label="2条未读">2</span>' in page
    client.post(reverse("notifications:read", args=[row.pk]))
    assert ">1</span>" in client.get(reverse("league")).content.decode()


def test_the_count_is_one_query(client, liaison):
    tell(liaison)
    client.force_login(liaison)
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    counts = [q["sql"] for q in captured if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_anonymous_pages_count_nothing(client, db):
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("login"))
    assert not [q for q in captured if "notifications_notification" in q["sql"]]


def test_list_query_count_is_the_same_for_few_and_many(client, liaison):
    client.force_login(liaison)

    def count() -> int:
        client.get(LIST)  # warm caches outside the count
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    tell(liaison)
    few = count()
    for i in range(30):
        tell(liaison, title=f"通知{i}")
    # Session, user with roles (joined to the person and their liaison departments), the
    # unread count, the table's count and page, the e-mail preference: 6, whatever the
    # number of rows.
    assert count() == few == 6


# E-mail ------------------------------------------------------------------------------------
def test_emailed_after_commit_when_an_address_exists(
    with_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = tell(with_email, title="资金到账记录被退回", url="/projects/returned/")
        assert not mail.outbox  # nothing before the commit
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["sunli@example.gov.cn"]
    assert message.subject == "【招商引资百日竞赛】资金到账记录被退回"
    assert "商务联络员，您好" in message.body and "资金到账记录被退回" in message.body
    row.refresh_from_db()
    assert row.emailed_at is not None


def test_no_email_without_an_address(liaison, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tell(liaison)
    assert not callbacks and not mail.outbox


def test_no_email_when_turned_off(with_email, django_capture_on_commit_callbacks):
    set_email_enabled(with_email, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        tell(with_email)
    assert not mail.outbox


def test_turned_off_after_queueing_is_not_sent(with_email):
    row = tell(with_email)
    set_email_enabled(with_email, enabled=False)
    assert send_notification_emails([row.pk]) == 0
    assert not mail.outbox


def test_each_notification_is_emailed_once(with_email):
    row = tell(with_email)
    assert send_notification_emails([row.pk]) == 1
    assert send_notification_emails([row.pk]) == 0  # a second delivery of the task
    assert len(mail.outbox) == 1


def test_links_are_absolute_with_site_url(with_email, settings):
    settings.SITE_URL = "https://zsyz.example.gov.cn/"
    row = tell(with_email, url="/projects/returned/")
    send_notification_emails([row.pk])
    assert "查看：https://zsyz.example.gov.cn/projects/returned/" in mail.outbox[0].body


def test_no_link_without_site_url(with_email, settings):
    settings.SITE_URL = ""
    row = tell(with_email, url="/projects/returned/")
    send_notification_emails([row.pk])
    assert "查看：" not in mail.outbox[0].body


def test_a_refused_email_is_released_for_the_retry(with_email, monkeypatch):
    row = tell(with_email)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_emails([row.pk])
    row.refresh_from_db()
    assert row.emailed_at is None


def test_an_smtp_failure_does_not_fail_the_change_in_process(
    with_email, monkeypatch, django_capture_on_commit_callbacks
):
    """No broker: the task runs in-process and does not retry; the notification stays."""

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        row = tell(with_email)
    assert Notification.objects.filter(pk=row.pk, emailed_at=None).exists()


def test_the_template_is_the_admins(with_email):
    EmailTemplate.objects.filter(key="notification").update(
        subject="通知：{{ title }}", body="{{ name }}：{{ title }}<不转义>"
    )
    row = tell(with_email, title="A&B")
    send_notification_emails([row.pk])
    assert mail.outbox[0].subject == "通知：A&B"
    assert mail.outbox[0].body == "商务联络员：A&B<不转义>\n"


def test_a_template_that_does_not_compile_is_refused(admin_client):
    template = EmailTemplate.objects.get(key="notification")
    url = reverse("admin:notifications_emailtemplate_change", args=[template.pk])
    response = admin_client.post(url, {"subject": "{% if %}", "body": "x"})
    assert response.status_code == 200 and "模板语法错误" in response.content.decode()
    template.refresh_from_db()
    assert template.subject == emails.NOTIFICATION_SUBJECT


# The preference ----------------------------------------------------------------------------
def test_preference_on_the_page_with_history(client, with_email):
    client.force_login(with_email)
    assert "checked" in client.get(LIST).content.decode()  # on by default
    assert client.post(reverse("notifications:preference"), {}).status_code == 302
    preference = NotificationPreference.objects.get(user=with_email)
    assert preference.email_enabled is False
    client.post(reverse("notifications:preference"), {"email_enabled": "on"})
    preference.refresh_from_db()
    assert preference.email_enabled is True
    history = preference.history.order_by("history_id")
    assert [h.email_enabled for h in history] == [False, True]
    assert all(h.history_user_id == with_email.pk for h in history)


def test_reading_the_page_writes_no_preference(client, liaison):
    client.force_login(liaison)
    client.get(LIST)
    assert not NotificationPreference.objects.exists()


# Admin -------------------------------------------------------------------------------------
def test_admin_pages(admin_client, liaison):
    row = tell(liaison)
    set_email_enabled(liaison, enabled=False)
    for name in ("notification", "notificationpreference", "emailtemplate"):
        assert (
            admin_client.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200
        )
    change = reverse("admin:notifications_notification_change", args=[row.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"title": "改"}).status_code == 403
    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403


# The sweep of lost e-mail tasks -------------------------------------------------------------
def test_the_sweep_sends_what_a_lost_task_left(with_email, other_liaison, time_machine):
    time_machine.move_to("2026-04-30 10:00 +08:00", tick=False)
    lost = tell(with_email, title="任务丢失的通知")  # queued after commit: never, here
    tell(other_liaison)  # no address
    assert sweep_unsent_emails() == 0  # too fresh: its task may still run
    time_machine.move_to("2026-04-30 10:11 +08:00", tick=False)
    assert sweep_unsent_emails() == 1
    assert sweep_unsent_emails() == 0
    [message] = mail.outbox
    assert "任务丢失的通知" in message.subject
    lost.refresh_from_db()
    assert lost.emailed_at is not None
    time_machine.move_to("2026-05-02 10:00 +08:00", tick=False)
    tell(with_email, title="一天前的通知")
    time_machine.move_to("2026-05-03 10:01 +08:00", tick=False)
    assert sweep_unsent_emails() == 0  # older than a day: not worth an e-mail any more


def test_a_refused_address_is_not_tried_again(with_email, monkeypatch):
    row = tell(with_email)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({with_email.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    assert send_notification_emails([row.pk]) == 0
    row.refresh_from_db()
    assert row.emailed_at is not None  # claimed: neither a retry nor the sweep sends it


def test_the_sweep_schedule_exists(db):
    task = PeriodicTask.objects.get(task="notifications.tasks.sweep_unsent_emails")
    assert task.enabled and task.interval.every == 15


def test_the_admin_changes_a_preference_through_the_service(admin_client, liaison):
    set_email_enabled(liaison, enabled=False)
    preference = NotificationPreference.objects.get(user=liaison)
    url = reverse("admin:notifications_notificationpreference_change", args=[preference.pk])
    response = admin_client.post(url, {"user": liaison.pk, "email_enabled": "on"})
    assert response.status_code == 302
    preference.refresh_from_db()
    assert preference.email_enabled is True
    assert [h.email_enabled for h in preference.history.order_by("history_id")] == [False, True]


def test_the_page_in_english(client, liaison):
    tell(liaison)
    client.force_login(liaison)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(LIST).content.decode()
    assert "Mark all read" in page and "E-mail reminders" in page
    assert 'aria-label="1 unread"' in page


def test_admin_changelist_queries_do_not_grow_with_rows(admin_client, liaison, other_liaison):
    url = reverse("admin:notifications_notification_changelist")

    def count() -> int:
        admin_client.get(url)  # warm caches outside the count
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    tell(liaison)
    few = count()
    for i in range(20):
        tell(other_liaison if i % 2 else liaison, title=f"通知{i}")
    assert count() == few
