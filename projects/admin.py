"""Admin for what happened: projects, milestones, receipts and visits.

Every form here goes through the models' full_clean(), so the stage-order rules of
projects.rules apply in the admin exactly as in the data-entry forms.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from departments.admin import CachedDepartmentChoicesMixin
from projects.models import Milestone, Project, Receipt, ReviewStatus, Visit

REVIEW_READONLY = ["logged_by", "reviewed_by", "reviewed_at", "created_at", "updated_at"]


def stamp_reviewed_record(obj, request, changed_fields) -> None:
    """Record who logged a new record and who reviewed it when its status changes."""
    if obj.pk is None and obj.logged_by_id is None:
        obj.logged_by = request.user
    if "status" in changed_fields:
        if obj.status == ReviewStatus.PENDING:
            obj.reviewed_by, obj.reviewed_at = None, None
        else:
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()


class ProjectRecordInline(admin.TabularInline):
    def get_queryset(self, request):
        # Each row shows the record's str(), which names the project, and its reviewer.
        return super().get_queryset(request).select_related("project", "reviewed_by")


class MilestoneInline(ProjectRecordInline):
    model = Milestone
    fields = ["stage", "occurred_on", "status", "return_reason", "evidence", "reviewed_by"]
    readonly_fields = ["reviewed_by"]
    extra = 0
    show_change_link = True


class ReceiptInline(ProjectRecordInline):
    model = Receipt
    fields = ["occurred_on", "amount", "status", "return_reason", "evidence", "reviewed_by"]
    readonly_fields = ["reviewed_by"]
    extra = 0
    show_change_link = True


class VisitInline(CachedDepartmentChoicesMixin, admin.TabularInline):
    model = Visit
    fields = ["occurred_on", "department", "investor_org", "persons", "host", "purpose"]
    extra = 0
    show_change_link = True


class FlagListFilter(admin.SimpleListFilter):
    """Filter on a boolean annotation of ProjectQuerySet.with_flags()."""

    def lookups(self, request, model_admin):
        return [("1", _("是")), ("0", _("否"))]

    def queryset(self, request, queryset):
        if self.value() in {"0", "1"}:
            return queryset.filter(**{self.parameter_name: self.value() == "1"})
        return queryset


class MajorListFilter(FlagListFilter):
    title = _("重大项目")
    parameter_name = "major"


class RewardEligibleListFilter(FlagListFilter):
    title = _("符合长期奖励")
    parameter_name = "reward_eligible"


class LostListFilter(admin.SimpleListFilter):
    title = _("流失")
    parameter_name = "lost"

    def lookups(self, request, model_admin):
        return [("1", _("已流失")), ("0", _("未流失"))]

    def queryset(self, request, queryset):
        if self.value() in {"0", "1"}:
            return queryset.filter(lost_on__isnull=self.value() == "0")
        return queryset


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "industry",
        "planned_investment",
        "registered_capital",
        "zone",
        "major",
        "reward_eligible",
        "lost_on",
    ]
    list_display_links = ["code", "name"]
    list_filter = [
        MajorListFilter,
        RewardEligibleListFilter,
        LostListFilter,
        "industry",
        "is_high_tech",
        "source_channel",
        "department",
    ]
    search_fields = ["code", "name", "investor", "responsible_person", "zone"]
    ordering = ["code"]
    list_select_related = ["department"]
    autocomplete_fields = ["department", "submitted_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MilestoneInline, ReceiptInline, VisitInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "investor", "department", "responsible_person"]}),
        (
            _("规模与行业"),
            {
                "fields": [
                    "industry",
                    "is_high_tech",
                    "planned_investment",
                    "registered_capital",
                    "zone",
                    "origin_region",
                ]
            },
        ),
        (_("信息来源"), {"fields": ["source_channel", "submitted_by"]}),
        (_("流失"), {"fields": ["lost_on", "lost_reason"]}),
        (_("记录"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # The flags come from the same annotation the reports use, so the two never disagree.
        return super().get_queryset(request).with_flags()

    @admin.display(description=_("重大项目"), boolean=True, ordering="major")
    def major(self, obj):
        return obj.major

    @admin.display(description=_("符合长期奖励"), boolean=True, ordering="reward_eligible")
    def reward_eligible(self, obj):
        return obj.reward_eligible

    def save_formset(self, request, form, formset, change):
        if formset.model in (Milestone, Receipt):
            for inline_form in formset.forms:
                if inline_form.has_changed() and not inline_form.cleaned_data.get("DELETE"):
                    stamp_reviewed_record(inline_form.instance, request, inline_form.changed_data)
        elif formset.model is Visit:
            for inline_form in formset.forms:
                instance = inline_form.instance
                if instance.pk is None and instance.logged_by_id is None:
                    instance.logged_by = request.user
        super().save_formset(request, form, formset, change)


class ReviewedRecordAdmin(SimpleHistoryAdmin):
    """Shared by milestones and receipts: both are verified by the competition office."""

    list_filter = ["status", "project__department"]
    search_fields = ["project__code", "project__name", "return_reason"]
    list_select_related = ["project__department", "logged_by", "reviewed_by"]
    autocomplete_fields = ["project"]
    readonly_fields = REVIEW_READONLY
    date_hierarchy = "occurred_on"

    @admin.display(description=_("责任部门"), ordering="project__department__name")
    def department(self, obj):
        return obj.project.department

    def save_model(self, request, obj, form, change):
        stamp_reviewed_record(obj, request, form.changed_data)
        super().save_model(request, obj, form, change)


@admin.register(Milestone)
class MilestoneAdmin(ReviewedRecordAdmin):
    list_display = ["project", "department", "stage", "occurred_on", "status", "reviewed_by"]
    list_filter = ["status", "stage", "project__department"]
    ordering = ["-occurred_on", "project__code", "stage"]
    fields = [
        "project",
        "stage",
        "occurred_on",
        "status",
        "return_reason",
        "evidence",
        *REVIEW_READONLY,
    ]


@admin.register(Receipt)
class ReceiptAdmin(ReviewedRecordAdmin):
    list_display = ["project", "department", "occurred_on", "amount", "status", "reviewed_by"]
    ordering = ["-occurred_on", "project__code", "id"]
    fields = [
        "project",
        "occurred_on",
        "amount",
        "status",
        "return_reason",
        "evidence",
        *REVIEW_READONLY,
    ]


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ["occurred_on", "department", "investor_org", "persons", "host", "project"]
    list_filter = ["department"]
    search_fields = ["investor_org", "host", "purpose", "project__code", "project__name"]
    ordering = ["-occurred_on", "-id"]
    list_select_related = ["department", "project", "logged_by"]
    autocomplete_fields = ["department", "project"]
    readonly_fields = ["logged_by", "created_at", "updated_at"]
    date_hierarchy = "occurred_on"

    def save_model(self, request, obj, form, change):
        if obj.pk is None and obj.logged_by_id is None:
            obj.logged_by = request.user
        super().save_model(request, obj, form, change)
