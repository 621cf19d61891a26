"""Admin for who takes part: department groups, departments and people."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from departments.models import Department, DepartmentGroup, Person


class CachedDepartmentChoicesMixin:
    """For inlines with a department column: read the department choices once per request.

    Without it every inline row queries the departments (or, with autocomplete, its own
    selected department) again; a competition has a quota row for up to 100 departments.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model is Department and field is not None:
            cached = getattr(request, "_department_choices", None)
            if cached is None:
                cached = request._department_choices = list(field.choices)
            field.choices = cached
        return field


class DepartmentInline(admin.TabularInline):
    model = Department
    fields = ["name", "order", "head", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(DepartmentGroup)
class DepartmentGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "department_count"]
    list_editable = ["order"]
    search_fields = ["name"]
    ordering = ["order", "name"]
    inlines = [DepartmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_department_count=Count("departments"))

    @admin.display(description=_("部门数"), ordering="_department_count")
    def department_count(self, obj):
        return obj._department_count


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "group", "order", "head", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["name", "head"]
    ordering = ["order", "name"]
    list_select_related = ["group"]
    autocomplete_fields = ["group"]


class LiaisonListFilter(admin.SimpleListFilter):
    title = _("联络员")
    parameter_name = "liaison"

    def lookups(self, request, model_admin):
        return [("yes", _("是")), ("no", _("否"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(liaison_for__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(liaison_for__isnull=True)
        return queryset


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "user", "department", "liaison_departments", "is_office", "is_leader"]
    list_filter = ["is_office", "is_leader", LiaisonListFilter, "department"]
    search_fields = ["name", "phone", "user__username", "department__name"]
    ordering = ["name"]
    list_select_related = ["user", "department"]
    autocomplete_fields = ["user", "department"]
    filter_horizontal = ["liaison_for"]

    def get_queryset(self, request):
        # One extra query for every page's liaison departments, not one per row.
        return super().get_queryset(request).prefetch_related("liaison_for")

    @admin.display(description=_("联络员负责部门"))
    def liaison_departments(self, obj):
        return "、".join(d.name for d in obj.liaison_for.all())
