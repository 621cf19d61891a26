"""Forms of the data-entry pages. They only validate; views call projects.services to save."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinLengthValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.roles import Roles
from projects import duplicate_lookup, evidence, policy
from projects.access import lead_departments, writable_departments
from projects.models import (
    CODE_MAX_LENGTH,
    MONEY_MAX,
    EvidenceKind,
    EvidencePolicy,
    Milestone,
    Project,
    Receipt,
    ReviewStatus,
    Stage,
    Visit,
    not_in_future,
)
from projects.services import status_after_edit
from projects.validation import check_lost_on
from web.dates import BoundedDateField, DateInput
from web.forms import labelled_by

# A reason (for a loss, a return) is read on the record's page and in its history: a few
# sentences, not a pasted document (the request size limit alone allows megabytes).
REASON_MAX_LENGTH = 1000


class EvidenceInput(forms.ClearableFileInput):
    """File picker limited to what we accept; phones offer the camera for photos."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"accept": evidence.ACCEPT, **(attrs or {})})


class FiniteDecimalField(forms.DecimalField):
    """A DecimalField that refuses NaN and infinities before anything compares them.

    Django's has_changed() compares the raw input and raises on a signalling NaN ("sNaN").
    """

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if "nan" in text or "inf" in text:
            raise forms.ValidationError(_("请输入一个数字。"), code="invalid")
        return super().to_python(value)

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except ArithmeticError:
            return True


class OneTimeSubmission(forms.Form):
    """A create form's one-time token (`submission`, hidden), made when the form is shown.

    The service stores it with what it creates; the same form posted again (a
    double-click, the back button) is answered with the first result, not a duplicate
    (projects.services.AlreadySubmitted). Optional: a post without one is simply saved.
    """

    submission = forms.UUIDField(label=_("表单编号"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = uuid.uuid4

    @property
    def submission_token(self) -> uuid.UUID | None:
        """The token posted with the form, if it is one (read before validating)."""
        try:
            return uuid.UUID(str(self.data.get(self.add_prefix("submission"), "")))
        except ValueError:
            return None


class DuplicateCheck(forms.Form):
    """A create form that warns about likely duplicates (疑似重复) before saving.

    When stored records look like the one entered (projects.duplicate_lookup), the form is
    shown again with them listed and a "仍然保存" box: ticked, the same post saves (the
    one-time token is unchanged, so a double-click still saves once). The box is hidden
    until there is something to confirm. `duplicates` lists what was found.
    """

    confirm_duplicates = forms.BooleanField(
        label=_("仍然保存（已核对，不是同一个）"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates: list[duplicate_lookup.Found] = []
        if self.instance.pk is not None:  # edits are not checked: the record exists already
            del self.fields["confirm_duplicates"]

    def find_duplicates(self, cleaned: dict) -> list[duplicate_lookup.Found]:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if "confirm_duplicates" not in self.fields or self.errors:
            return cleaned  # the user corrects the errors first
        self.duplicates = self.find_duplicates(cleaned)
        if self.duplicates:
            self.fields["confirm_duplicates"].widget = forms.CheckboxInput()
            if not cleaned.get("confirm_duplicates"):
                self.add_error(
                    "confirm_duplicates",
                    _(
                        "发现疑似重复的记录（见上方列表）。请核对：如果是同一个，请不要重复登记；"
                        "确认不是同一个，请勾选“仍然保存”后再提交。"
                    ),
                )
        return cleaned


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names, at the top otherwise
    (a clash only the transaction can see, such as a stage recorded a moment ago)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _single_department(field: forms.ModelChoiceField) -> None:
    """With one department to choose from, choose it and don't ask."""
    departments = list(field.queryset)
    if len(departments) == 1:
        field.initial = departments[0].pk
        field.widget = forms.HiddenInput()


def _money_widget() -> forms.NumberInput:
    return forms.NumberInput(
        attrs={"inputmode": "decimal", "step": "0.01", "min": 0, "max": str(MONEY_MAX)}
    )


class ProjectForm(DuplicateCheck, OneTimeSubmission, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "investor",
            "department",
            "responsible_person",
            "industry",
            "is_high_tech",
            "planned_investment",
            "registered_capital",
            "zone",
            "origin_region",
            "source_channel",
        ]
        widgets = {
            "zone": forms.TextInput(attrs={"list": "zone-options"}),
            "planned_investment": _money_widget(),
            "registered_capital": _money_widget(),
        }
        field_classes = {
            "planned_investment": FiniteDecimalField,
            "registered_capital": FiniteDecimalField,
        }

    # The version of the project the form was shown with (optimistic concurrency).
    loaded_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, roles: Roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = writable_departments(roles)
        self.fields["department"].empty_label = None
        _single_department(self.fields["department"])
        # The format's length, not the column's (the model's validator says why).
        self.fields["code"].widget.attrs["maxlength"] = CODE_MAX_LENGTH
        if self.instance.pk is None:
            self.fields["code"].required = False
            self.fields["code"].help_text = _("留空则自动生成，如 XM-2026-0001。")
            del self.fields["loaded_at"]
        else:
            self.fields["loaded_at"].initial = version_of(self.instance.updated_at)
            del self.fields["submission"]  # an edit carries its version instead

    def find_duplicates(self, cleaned: dict) -> list[duplicate_lookup.Found]:
        return _project_duplicates(cleaned)


def _project_duplicates(cleaned: dict) -> list[duplicate_lookup.Found]:
    department = cleaned.get("department")
    if department is None:
        return []
    return duplicate_lookup.project_matches(
        name=cleaned.get("name") or "",
        investor=cleaned.get("investor") or "",
        department_id=department.pk,
    )


def version_of(updated_at) -> str:
    """A project's version as the edit form carries it."""
    return updated_at.isoformat() if updated_at else ""


class LostForm(forms.Form):
    lost_on = BoundedDateField(label=_("流失日期"), widget=DateInput, validators=[not_in_future])
    lost_reason = forms.CharField(
        label=_("流失原因"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[MinLengthValidator(2)],
        help_text=_("说明流失的原因和责任人，将记入项目历史。"),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["lost_on"].initial = timezone.localdate

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lost_on"):
            check_lost_on(self.project, cleaned["lost_on"])
        return cleaned


class ReviewedRecordForm(OneTimeSubmission, forms.ModelForm):
    """Shared by milestones, receipts and visits: evidence checks and the status an edit
    leads to. A file is asked for when the office's evidence policy requires one for the
    kind of record (projects.policy); otherwise it is welcome but optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.policies = policy.current_policies()
        self.original_status = self.instance.status if self.instance.pk else None
        if self.instance.pk:
            del self.fields["submission"]
        self.fields["evidence"].widget = EvidenceInput()
        self.fields["evidence"].help_text = _("PDF、JPEG或PNG，不超过%(mb)s MB。") % {
            "mb": _max_mb()
        }
        self.fields["occurred_on"].widget = DateInput()
        if not self.instance.pk and self.initial.get("occurred_on") is None:
            # Most milestones and receipts are reported the day they happen. (A ModelForm's
            # initial, from the blank instance, wins over the field's.)
            self.initial["occurred_on"] = timezone.localdate()

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if isinstance(upload, UploadedFile):
            # Stored under a random name by projects.services, which keeps this one too.
            evidence.validate_evidence(upload)
        return upload

    def policy_kind(self) -> str | None:
        """The evidence policy's kind of the record being entered (None: never required)."""
        raise NotImplementedError

    def needs_evidence(self) -> bool:
        return policy.requires_evidence(self.policy_kind(), self.policies)

    def clean(self):
        cleaned = super().clean()
        if "evidence" in cleaned and not cleaned["evidence"] and self.needs_evidence():
            document = self.policies[self.policy_kind()].document
            self.add_error(
                "evidence",
                _("请上传佐证材料：%(document)s。") % {"document": document}
                if document
                else _("请上传佐证材料。"),
            )
        # Validate the record as it will be saved: an edited returned record is pending again.
        if self.instance.pk:
            self.instance.status = status_after_edit(
                status=self.original_status, changed=self.changed_data
            )
        else:
            self.instance.status = ReviewStatus.PENDING
        return cleaned


def _max_mb() -> str:
    return f"{settings.EVIDENCE_MAX_BYTES / 1024 / 1024:g}"


class MilestoneForm(ReviewedRecordForm):
    class Meta:
        model = Milestone
        fields = ["stage", "occurred_on", "evidence"]
        field_classes = {"occurred_on": BoundedDateField}

    def policy_kind(self) -> str | None:
        # A lead has nothing to prove yet (no policy); the later stages follow the policy.
        return policy.milestone_kind(self.cleaned_data.get("stage"))

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage is not None:
            clash = Milestone.objects.filter(project=self.instance.project, stage=stage).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                self.add_error(
                    "stage",
                    _("该项目已有此阶段的节点（可能已被退回），请修改原节点后重新提交。"),
                )
        return cleaned


class ReceiptForm(ReviewedRecordForm):
    class Meta:
        model = Receipt
        fields = ["occurred_on", "amount", "evidence"]
        widgets = {"amount": _money_widget()}
        field_classes = {"amount": FiniteDecimalField, "occurred_on": BoundedDateField}

    def policy_kind(self) -> str | None:
        return EvidenceKind.FUNDED


class VisitForm(DuplicateCheck, ReviewedRecordForm):
    class Meta:
        model = Visit
        fields = [
            "department",
            "occurred_on",
            "investor_org",
            "persons",
            "host",
            "purpose",
            "project",
            "evidence",
        ]
        labels = {"evidence": _("佐证材料（接待单或照片）")}
        widgets = {
            "occurred_on": DateInput(),
            "persons": forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        }
        field_classes = {"occurred_on": BoundedDateField}

    def __init__(self, *args, roles: Roles, **kwargs):
        super().__init__(*args, **kwargs)
        departments = writable_departments(roles)
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = None
        _single_department(self.fields["department"])
        self.fields["occurred_on"].initial = timezone.localdate
        self.fields["persons"].initial = 1
        most = settings.VISIT_MAX_PERSONS
        self.fields["persons"].widget.attrs["max"] = most
        self.fields["persons"].help_text = _("每批最多%(n)s人。") % {"n": most}
        # The department's open projects only (not lost, not yet broken ground): a visit
        # is about a project still being pursued, and a select of every project the
        # department ever had was most of this form's time (each option is rendered
        # through a template: README "Performance"). An edited visit keeps its project.
        still_open = Q(lost_on__isnull=True) & (
            Q(stage_reached__isnull=True) | Q(stage_reached__lt=Stage.GROUNDBREAKING)
        )
        if self.instance.project_id:
            still_open |= Q(pk=self.instance.project_id)
        self.fields["project"].queryset = (
            Project.objects.filter(still_open, department__in=departments)
            .order_by("department__order", "-created_at")
            .only("pk", "code", "name", "department_id")  # what an option and clean() read
        )
        labelled_by(self.fields["project"], "code", "name")  # Project.__str__
        self.fields["project"].empty_label = _("（无）")
        self.fields["project"].help_text = _("只列出本部门未流失、未开工的项目。")

    def policy_kind(self) -> str | None:
        return EvidenceKind.VISIT

    def clean(self):
        cleaned = super().clean()
        project, department = cleaned.get("project"), cleaned.get("department")
        if project and department and project.department_id != department.pk:
            self.add_error("project", _("只能关联本部门的项目。"))
        return cleaned

    def find_duplicates(self, cleaned: dict) -> list[duplicate_lookup.Found]:
        department = cleaned.get("department")
        if department is None:
            return []
        return duplicate_lookup.visit_matches(
            investor_org=cleaned.get("investor_org") or "",
            occurred_on=cleaned.get("occurred_on"),
            department_id=department.pk,
        )


class LeadForm(DuplicateCheck, OneTimeSubmission, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "department",
            "name",
            "investor",
            "source_channel",
            "origin_region",
            "industry",
            "planned_investment",
        ]
        labels = {"name": _("项目（信息）名称"), "department": _("报送给部门")}
        widgets = {"planned_investment": _money_widget()}
        field_classes = {"planned_investment": FiniteDecimalField}
        help_texts = {
            "name": _("例如：某某集团拟投资建设新能源电池项目。"),
            "investor": _("投资方或联系人所在单位。"),
        }

    def __init__(self, *args, roles: Roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = lead_departments(roles)
        self.fields["department"].empty_label = None
        _single_department(self.fields["department"])
        self.fields["source_channel"].required = True

    def find_duplicates(self, cleaned: dict) -> list[duplicate_lookup.Found]:
        return _project_duplicates(cleaned)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回原因"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("联络员将看到这段说明，请写清需要补正的内容。"),
    )


class VerifyForm(forms.Form):
    """Verify one record; the reason is needed only when it lacks the evidence the policy
    asks for (projects.services.MissingEvidence)."""

    without_evidence_reason = forms.CharField(
        label=_("无佐证核实理由"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("缺少佐证仍核实时必填")}),
    )


class EvidencePolicyForm(forms.ModelForm):
    """One row of the office's evidence policy page."""

    class Meta:
        model = EvidencePolicy
        fields = ["required", "document"]


EvidencePolicyFormSet = forms.modelformset_factory(
    EvidencePolicy, form=EvidencePolicyForm, extra=0, can_delete=False
)


class BulkReviewForm(forms.Form):
    """Selected queue items (checkboxes named "milestone", "receipt" and "visit") and what
    to do."""

    VERIFY, RETURN = "verify", "return"
    action = forms.ChoiceField(choices=[(VERIFY, _("核实通过")), (RETURN, _("退回"))])
    reason = forms.CharField(
        label=_("退回原因"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["milestone_ids"] = _ids(self.data.getlist("milestone"))
        cleaned["receipt_ids"] = _ids(self.data.getlist("receipt"))
        cleaned["visit_ids"] = _ids(self.data.getlist("visit"))
        if not (cleaned["milestone_ids"] or cleaned["receipt_ids"] or cleaned["visit_ids"]):
            raise forms.ValidationError(_("请先勾选要处理的记录。"))
        if cleaned.get("action") == self.RETURN and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("退回时必须填写原因。"))
        return cleaned


def _ids(values) -> list[int]:
    return sorted({int(v) for v in values if str(v).isdigit()})


class CreditForm(forms.Form):
    """The office's decision on a project two departments claim (projects.credit).

    For a project that counts: which of its likely duplicates it is compared with, and
    which of the two keeps the credit (or that they are different projects). For a
    project denied the credit: only the reason to restore it.
    """

    DENY_THIS, DENY_OTHER, DISTINCT, RESTORE = "deny_this", "deny_other", "distinct", "restore"
    counterpart = forms.ModelChoiceField(
        label=_("对方项目"), queryset=Project.objects.none(), empty_label=None
    )
    decision = forms.ChoiceField(
        label=_("认定结果"),
        widget=forms.RadioSelect,
        choices=[
            (DENY_OTHER, _("本项目计入，对方项目不计入")),
            (DENY_THIS, _("对方项目计入，本项目不计入")),
            (DISTINCT, _("不是重复，各自计入")),
        ],
    )
    reason = forms.CharField(
        label=_("认定理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明依据（如签约主体、首谈部门、双方部门意见），两个项目页都会显示。"),
    )

    def __init__(self, *args, project: Project, counterparts, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        if not project.is_credited:
            del self.fields["counterpart"]
            self.fields["decision"].choices = [(self.RESTORE, _("恢复计入"))]
            self.fields["decision"].initial = self.RESTORE
        else:
            self.fields["counterpart"].queryset = counterparts
            self.fields["counterpart"].label_from_instance = lambda p: (
                f"{p.code} {p.name} · {p.department.name}"
            )
