"""通知: what a user is told happened to them or their department, in the app and by e-mail.

One row per recipient and event. A row is written by `notifications.services.notify`
inside the transaction of the change it reports (a record returned, a card issued), so a
rolled-back change tells nobody. Rows are never edited except to mark them read and to
record that they were e-mailed.

Each user may turn the e-mails off (NotificationPreference, with its history); the
e-mails' wording is an EmailTemplate the office edits in the admin.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from notifications.templating import compile_template


class Notification(models.Model):
    class Kind(models.TextChoices):
        RECORD_RETURNED = "record_returned", _("记录被退回")
        CARD_ISSUED = "card_issued", _("黄牌警告")
        CARD_LIFTED = "card_lifted", _("黄牌撤销")
        RECTIFICATION_DUE = "rectification_due", _("整改待提交")
        RECTIFICATION_RETURNED = "rectification_returned", _("整改被退回")
        RECTIFICATION_ACCEPTED = "rectification_accepted", _("整改已通过")
        RECTIFICATION_SUBMITTED = "rectification_submitted", _("整改已提交")
        BULLETIN_PUBLISHED = "bulletin_published", _("简报已发布")
        WEEKLY_SUMMARY = "weekly_summary", _("每周小结")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("内容"), max_length=200)
    # Longer text (the weekly summary); most notifications have only a title.
    body = models.TextField(_("正文"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    # What the notification is about, for events that must be told once per recipient
    # (e.g. "bulletin:<report id>"): notify() skips recipients who already have the key.
    key = models.CharField(_("事件标识"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            # The header's unread count and the user's list: one index scan each.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.get_kind_display()} {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's choice about e-mails; a user without a row gets them (the default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField(
        _("邮件提醒"), default=True, help_text=_("有邮箱地址时，每条通知也发到邮箱。")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)


def validate_template(text: str) -> None:
    """Refuse text Django's template language cannot compile (the admin shows why)."""
    try:
        compile_template(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("模板语法错误：%(error)s"), params={"error": exc}) from None


class EmailTemplate(models.Model):
    """The subject and body of one kind of e-mail, in Django's template language.

    Rows are created by migrations (one per key); the office edits their text in the
    admin. The variables each key receives are listed in its `help` text.
    """

    class Key(models.TextChoices):
        NOTIFICATION = "notification", _("通知邮件")
        WEEKLY_SUMMARY = "weekly_summary", _("每周小结")

    key = models.CharField(_("用途"), max_length=30, choices=Key.choices, unique=True)
    subject = models.CharField(_("标题模板"), max_length=300, validators=[validate_template])
    body = models.TextField(_("正文模板"), validators=[validate_template])
    variables = models.TextField(_("可用变量"), blank=True, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("邮件模板")
        verbose_name_plural = _("邮件模板")

    def __str__(self) -> str:
        return self.get_key_display()
