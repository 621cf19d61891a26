"""通知: what a user is told happened to them or their department, in the app and by e-mail.

One row per recipient and event. A row is written by `notifications.services.notify`
inside the transaction of the change it reports (a record returned, a card issued), so a
rolled-back change tells nobody. Rows are never edited except to mark them read.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("内容"), max_length=200)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            # The header's unread count and the user's list: one index scan each.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.get_kind_display()} {self.title}"
