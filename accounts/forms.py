"""Forms of the account pages. They only validate."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from departments.models import Department


class AccountForm(forms.Form):
    """A new login and its person: the roles of DOMAIN.md, at least one."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("登录用，字母、数字和 @ . + - _，如 liaison_sw。"),
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("电话"), max_length=30, required=False)
    department = forms.ModelChoiceField(
        label=_("所在部门"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=_("（无）"),
        help_text=_("职工：可为本部门报送信息。"),
    )
    liaison_for = forms.ModelMultipleChoiceField(
        label=_("联络员负责部门"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("联络员：可为这些部门登记项目、接待和节点。"),
    )
    is_office = forms.BooleanField(label=_("竞赛办"), required=False)
    is_leader = forms.BooleanField(label=_("领导（只读）"), required=False)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该用户名已被使用。"))
        return username

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写姓名。"))
        return name

    def clean(self):
        cleaned = super().clean()
        if not (
            cleaned.get("department")
            or cleaned.get("liaison_for")
            or cleaned.get("is_office")
            or cleaned.get("is_leader")
        ):
            raise forms.ValidationError(
                _("请至少选择一种角色：所在部门（职工）、联络员负责部门、竞赛办或领导。")
            )
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's login form, with the user name's length checked before anything else.

    AuthenticationForm sets the field's max_length after the field is built, so no length
    validator runs: a 300-character name reached the lock-out and security-event tables
    (a server error on PostgreSQL). Here it is refused with a message, and nothing is
    looked up or recorded.
    """

    def clean(self):
        username = self.data.get("username", "")
        limit = self.fields["username"].max_length or 150
        if len(username) > limit:
            raise forms.ValidationError(
                _("用户名不能超过%(limit)d个字符。") % {"limit": limit}, code="username_too_long"
            )
        return super().clean()


class NewPasswordForm(PasswordChangeForm):
    """Changing one's own password: the new one must differ from the current one (a
    temporary password given by the office must really be replaced)."""

    def clean_new_password1(self):
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            raise forms.ValidationError(_("新密码不能与当前密码相同。"), code="password_unchanged")
        return new
