"""Forms of the account pages and the audit log. They only validate."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from accounts import audit
from departments.models import Department


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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


class AuditFilterForm(forms.Form):
    """The audit log's filters: what kind of record, who, which days, which department."""

    model = forms.ChoiceField(label=_("数据类型"), required=False)
    user = forms.ModelChoiceField(
        label=_("操作人"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("全部"),
    )
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    department = forms.ModelChoiceField(
        label=_("部门"), queryset=Department.objects.all(), required=False, empty_label=_("全部")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("全部"))] + audit.model_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return cleaned

    def filters(self) -> dict:
        """Keyword arguments of audit.change_rows (call after is_valid())."""
        data = self.cleaned_data
        return {
            "labels": [data["model"]] if data.get("model") else None,
            "user_id": data["user"].pk if data.get("user") else None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "department_id": data["department"].pk if data.get("department") else None,
        }
