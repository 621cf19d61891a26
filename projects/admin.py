"""Admin for what happened: projects, milestones, receipts and visits.

Every form here goes through the models' full_clean(), so the stage-order rules of
projects.validation apply in the admin exactly as in the data-entry forms. Every save
and delete (the change forms, the inlines, "delete selected", reverting to a history
version) goes through projects.services, as the pages' do: the progress is refreshed and
the change announced the same way.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from departments.admin import CachedDepartmentChoicesMixin
from projects import services, validation
from projects.models import EvidencePolicy, Milestone, Project, Receipt, Visit

REVIEW_READONLY = [
    "logged_by",
    "reviewed_by",
    "reviewed_at",
    "verified_without_evidence_reason",
    "created_at",
    "updated_at",
]


class StageOrderFormSet(BaseInlineFormSet):
    """The rows of one inline checked together against the stage order: each row's own
    check (the model's clean()) compares it with the stored records only, so two rows
    that go backwards between themselves would each pass it."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return  # each row's own errors first
        kept, removed = [], []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                if form.instance.pk:
                    removed.append(form.instance.pk)
            elif form.has_changed():
                kept.append(form.instance)  # construct_instance has put the row's values in
        # Deletions alone are not checked, as in the services: that is how a wrong date
        # is fixed.
        if not kept:
            return
        kind = "milestones" if self.model is Milestone else "receipts"
        records = validation.records_with(self.instance, **{kind: kept, f"removed_{kind}": removed})
        try:
            validation.check_recorded_order(records)
        except ValidationError as e:
            raise ValidationError(e.messages) from None


class ServiceRulesAdmin(SimpleHistoryAdmin):
    """A rule the services check again under the project's lock (the stage order of rows
    saved together from two inlines, or of a record someone else saved meanwhile) answers
    with its message and saves nothing (the admin's view is one transaction), not a 500."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as e:
            return self._refused(request, e)

    def history_form_view(self, request, *args, **kwargs):
        try:
            return super().history_form_view(request, *args, **kwargs)
        except ValidationError as e:
            return self._refused(request, e)

    def _refused(self, request, error: ValidationError):
        for message in error.messages:
            self.message_user(request, _("未保存：%(m)s") % {"m": message}, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class ProjectRecordInline(admin.TabularInline):
    formset = StageOrderFormSet

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
    fields = [
        "occurred_on",
        "department",
        "investor_org",
        "persons",
        "host",
        "purpose",
        "status",
        "return_reason",
    ]
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
class ProjectAdmin(ServiceRulesAdmin):
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

    def save_model(self, request, obj, form, change):
        services.save_project(obj, by=request.user)

    def delete_model(self, request, obj):
        services.delete_projects([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_projects(queryset, by=request.user)

    def save_formset(self, request, form, formset, change):
        # commit=False: the formset sorts its rows into deleted, new and changed ones and
        # points new ones at the project; the services then save and delete them.
        formset.save(commit=False)
        changed = {id(f.instance): f.changed_data for f in formset.forms}
        saved = [*formset.new_objects, *(obj for obj, _fields in formset.changed_objects)]
        if formset.model is Visit:
            services.delete_visits(formset.deleted_objects, by=request.user)
            for visit in saved:
                services.save_visit_as_office(
                    visit, by=request.user, changed=changed.get(id(visit), ())
                )
        else:
            services.delete_records(formset.deleted_objects, by=request.user)
            for record in saved:
                services.save_record_as_office(
                    record, by=request.user, changed=changed.get(id(record), ())
                )
        formset.save_m2m()


class ReviewedRecordAdmin(ServiceRulesAdmin):
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
        services.save_record_as_office(obj, by=request.user, changed=form.changed_data)

    def delete_model(self, request, obj):
        services.delete_records([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_records(queryset, by=request.user)


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
    list_display = [
        "occurred_on",
        "department",
        "investor_org",
        "persons",
        "host",
        "project",
        "status",
    ]
    list_filter = ["status", "department"]
    search_fields = ["investor_org", "host", "purpose", "project__code", "project__name"]
    ordering = ["-occurred_on", "-id"]
    list_select_related = ["department", "project", "logged_by"]
    autocomplete_fields = ["department", "project"]
    readonly_fields = REVIEW_READONLY
    date_hierarchy = "occurred_on"
    fields = [
        "occurred_on",
        "department",
        "investor_org",
        "persons",
        "host",
        "purpose",
        "project",
        "status",
        "return_reason",
        "evidence",
        *REVIEW_READONLY,
    ]

    def save_model(self, request, obj, form, change):
        services.save_visit_as_office(obj, by=request.user, changed=form.changed_data)

    def delete_model(self, request, obj):
        services.delete_visits([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_visits(queryset, by=request.user)


@admin.register(EvidencePolicy)
class EvidencePolicyAdmin(SimpleHistoryAdmin):
    """The same rows as the office's page (projects:evidence_policy), one per kind."""

    list_display = ["kind", "required", "document", "updated_at"]
    list_editable = ["required", "document"]
    readonly_fields = ["kind", "updated_at"]
    fields = ["kind", "required", "document", "updated_at"]

    def has_add_permission(self, request):
        return False  # one row per kind, made by the migration or the office's page

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.save_policies([obj], by=request.user)
