from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(
        label=_("通知同时发到我的邮箱"),
        required=False,
        help_text=_("需要账号登记了邮箱地址。"),
    )
