"""Admin for how it scores: competitions, weights, quotas and (read-only) league snapshots.

Competitions, weights and quotas are saved and deleted through competition.services, as
every other writer does: the history row, the stale marker and the recompute follow.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from competition import services
from competition.models import (
    Competition,
    MetricWeight,
    Quota,
    Rectification,
    Report,
    Snapshot,
    YellowCard,
)
from departments.admin import CachedDepartmentChoicesMixin
from web.dates import BoundedDateField

QUOTA_FIELDS = [
    "visit_batches",
    "visitors",
    "intent_projects",
    "signed_projects",
    "funded_projects",
    "funds_amount",
    "groundbreaking_projects",
]


SAVE = {
    Competition: services.save_competition,
    MetricWeight: services.save_weight,
    Quota: services.save_quota,
}
DELETE = {
    Competition: services.delete_competition,
    MetricWeight: services.delete_weight,
    Quota: services.delete_quota,
}


class SavedThroughServices:
    """ModelAdmin writes (forms, inlines, the delete action, history reverts) by service."""

    def save_model(self, request, obj, form, change):
        SAVE[type(obj)](obj, by=request.user)

    def delete_model(self, request, obj):
        DELETE[type(obj)](obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            DELETE[type(obj)](obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            DELETE[type(obj)](obj, by=request.user)
        for obj in instances:
            SAVE[type(obj)](obj, by=request.user)
        formset.save_m2m()


class MetricWeightInline(admin.TabularInline):
    model = MetricWeight
    fields = ["metric", "weight"]
    extra = 0
    verbose_name_plural = _("指标权重（未设置的指标用默认权重）")


class QuotaInline(CachedDepartmentChoicesMixin, admin.TabularInline):
    model = Quota
    fields = ["department", *QUOTA_FIELDS]
    extra = 0

    def get_queryset(self, request):
        # Each row shows the quota's str(): competition and department.
        return super().get_queryset(request).select_related("competition", "department")


@admin.register(Competition)
class CompetitionAdmin(SavedThroughServices, SimpleHistoryAdmin):
    list_display = [
        "name",
        "start_date",
        "end_date",
        "days",
        "yellow_threshold",
        "cap",
        "count_pending",
        "is_active",
        "department_count",
    ]
    list_filter = ["is_active", "count_pending"]
    search_fields = ["name"]
    ordering = ["-start_date", "name"]
    date_hierarchy = "start_date"
    inlines = [MetricWeightInline, QuotaInline]
    # A window at the ends of the calendar would make every league page step off it.
    formfield_overrides = {
        models.DateField: {"form_class": BoundedDateField, "widget": AdminDateWidget}
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_department_count=Count("quotas"))

    @admin.display(description=_("天数"))
    def days(self, obj):
        return obj.days

    @admin.display(description=_("参赛部门数"), ordering="_department_count")
    def department_count(self, obj):
        return obj._department_count


@admin.register(MetricWeight)
class MetricWeightAdmin(SavedThroughServices, SimpleHistoryAdmin):
    list_display = ["competition", "metric", "weight"]
    list_filter = ["competition", "metric"]
    search_fields = ["competition__name"]
    ordering = ["competition", "metric"]
    list_select_related = ["competition"]
    autocomplete_fields = ["competition"]


@admin.register(Quota)
class QuotaAdmin(SavedThroughServices, SimpleHistoryAdmin):
    list_display = ["competition", "department", *QUOTA_FIELDS]
    list_filter = ["competition", "department__group"]
    search_fields = ["competition__name", "department__name"]
    ordering = ["competition", "department__order", "department__name"]
    list_select_related = ["competition", "department"]
    autocomplete_fields = ["competition", "department"]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Snapshots are computed by competition.league.snapshots: look, never touch."""

    list_display = [
        "as_of",
        "rank",
        "department_name",
        "group_name",
        "group_rank",
        "score",
        "yellow_card",
        "zero_result",
        "elapsed_days",
        "competition",
        "computed_at",
    ]
    list_display_links = ["as_of", "department_name"]
    list_filter = ["competition", "yellow_card", "zero_result", "as_of"]
    search_fields = ["department_name", "group_name"]
    ordering = ["competition", "-as_of", "rank"]
    list_select_related = ["competition"]
    date_hierarchy = "as_of"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Report jobs are written by competition.reports: the office builds them on the 报告 page."""

    list_display = [
        "competition",
        "kind",
        "issue_number",
        "as_of",
        "status",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["competition", "kind", "status"]
    search_fields = ["error"]
    ordering = ["-created_at"]
    list_select_related = ["competition", "requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Written only by competition.cards (bulletins and the 整改 pages): read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YellowCard)
class YellowCardAdmin(ReadOnlyAdmin):
    list_display = [
        "department",
        "competition",
        "issued_on",
        "consecutive_issues",
        "lifted_on",
        "rectification_due_on",
    ]
    list_filter = ["competition", "lifted_on"]
    search_fields = ["department__name"]
    list_select_related = ["department", "competition"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["card", "status", "submitted_by", "submitted_at", "reviewed_by", "reviewed_at"]
    list_filter = ["status"]
    search_fields = ["card__department__name", "measures"]
    list_select_related = ["card__department", "submitted_by", "reviewed_by"]
