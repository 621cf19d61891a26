"""Accounts and audit: who must change their password, security events, change addresses.

The audit trail of counted records and settings is simple_history's historical tables
(kept by their own apps); this app adds the client address of each change
(`ChangeAddress`) and the log of logins, logouts, failures, lock-outs and account
changes (`SecurityEvent`). Neither is ever changed or deleted by the application, except
by the retention purge (audit.retention) once older than AUDIT_RETENTION_DAYS.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    """Account facts that are not a person's roles: a temporary password to be replaced."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.CASCADE,
        related_name="account_profile",
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开通人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    password_changed_at = models.DateTimeField(_("最近修改密码时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号状态")
        verbose_name_plural = _("账号状态")

    def __str__(self) -> str:
        return str(self.user)


class SecurityEvent(models.Model):
    """One login, logout, failed login, lock-out or account change (等保 2.0 安全审计)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGOUT = "logout", _("退出")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("账号锁定")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        ACCOUNT_CREATED = "account_created", _("开通账号")
        PASSWORD_RESET = "password_reset", _("重置密码")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("停用账号")
        ACCOUNT_REACTIVATED = "account_reactivated", _("启用账号")

    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("事件"), max_length=30, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("登录、退出、修改密码的本人；开通、停用、重置的竞赛办人员"),
    )
    username = models.CharField(
        _("用户名"),
        max_length=150,
        blank=True,
        help_text=_("登录时输入的用户名，或被开通、停用、重置的账号"),
    )
    address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=255, blank=True)
    detail = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"


class ChangeAddress(models.Model):
    """The client address of one historical row (simple_history) written during a request."""

    model = models.CharField(_("数据类型"), max_length=100)  # app_label.ModelName
    history_id = models.BigIntegerField(_("历史记录号"))
    address = models.GenericIPAddressField(_("IP地址"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("修改来源地址")
        verbose_name_plural = _("修改来源地址")
        constraints = [
            models.UniqueConstraint(fields=["model", "history_id"], name="one_address_per_row")
        ]

    def __str__(self) -> str:
        return f"{self.model}#{self.history_id} {self.address}"
