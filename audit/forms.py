"""The change log's filter form. It only validates."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from audit import changes as audit
from departments.models import Department
from web.dates import BoundedDateField


class AuditFilterForm(forms.Form):
    """The audit log's filters: what kind of record, who, which days, which department."""

    model = forms.ChoiceField(label=_("数据类型"), required=False)
    user = forms.ModelChoiceField(
        label=_("操作人"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("全部"),
    )
    date_from = BoundedDateField(label=_("起始日期"), required=False)
    date_to = BoundedDateField(label=_("截止日期"), required=False)
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
