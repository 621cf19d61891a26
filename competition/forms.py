"""The league and 红黑榜 pages' query strings, and the 整改 forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from competition.models import Competition
from departments.models import DepartmentGroup
from projects import evidence
from projects.forms import EvidenceInput
from web.dates import BoundedDateField


class LeagueParams(forms.Form):
    """Which competition, as of which date, and optionally one group.

    The competition and date pick the league; the view fills in defaults (the active
    competition, today) before the form is bound, so both are always present. The group
    filters the league's rows in Python: the table is a list, not a queryset.
    """

    competition = forms.ModelChoiceField(
        queryset=Competition.objects.all(), label=_("竞赛"), empty_label=None
    )
    as_of = BoundedDateField(label=_("统计日期"))
    group = forms.ModelChoiceField(
        queryset=DepartmentGroup.objects.all(),
        label=_("分组"),
        required=False,
        empty_label=_("全部分组"),
    )


class HonoursParams(forms.Form):
    """红黑榜's query string: which competition, as of which date (defaults filled in)."""

    competition = forms.ModelChoiceField(
        queryset=Competition.objects.all(), label=_("竞赛"), empty_label=None
    )
    as_of = BoundedDateField(label=_("统计日期"))


class RectificationForm(forms.Form):
    """A 整改 report: the measures, and an attachment checked as evidence is."""

    measures = forms.CharField(
        label=_("整改措施"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("写明问题原因、整改措施、责任人和完成时限。"),
    )
    attachment = forms.FileField(label=_("附件"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachment"].widget = EvidenceInput()
        self.fields["attachment"].help_text = _("可选：PDF、JPEG或PNG。")

    def clean_measures(self):
        text = self.cleaned_data["measures"].strip()
        if not text:
            raise forms.ValidationError(_("请填写整改措施。"))
        return text

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            kind = evidence.validate_evidence(upload)
            upload.name = evidence.storage_name(kind)
        return upload


class RectificationReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_reason(self):
        text = self.cleaned_data["reason"].strip()
        if not text:
            raise forms.ValidationError(_("退回时必须填写原因。"))
        return text
