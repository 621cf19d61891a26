"""Admin for who takes part: department groups, departments and people.

Departments and groups are saved and deleted through departments.services, which
announce the change: a name, group or display order shows in every league.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from departments import services
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

    def save_model(self, request, obj, form, change):
        services.save_group(obj)

    def delete_model(self, request, obj):
        services.delete_groups([obj])

    def delete_queryset(self, request, queryset):
        services.delete_groups(queryset)

    def save_formset(self, request, form, formset, change):
        # The departments of the group's inline: saved and deleted as the department page does.
        formset.save(commit=False)
        services.delete_departments(formset.deleted_objects, by=request.user)
        for department in [*formset.new_objects, *(obj for obj, _f in formset.changed_objects)]:
            services.save_department(department, by=request.user)
        formset.save_m2m()


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "group", "order", "head", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["name", "head"]
    ordering = ["order", "name"]
    list_select_related = ["group"]
    autocomplete_fields = ["group"]

    def save_model(self, request, obj, form, change):
        services.save_department(obj, by=request.user)

    def delete_model(self, request, obj):
        services.delete_departments([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_departments(queryset, by=request.user)


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
