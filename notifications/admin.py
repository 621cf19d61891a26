"""Admin: notifications read-only, e-mail preferences and e-mail templates editable."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notifications import services
from notifications.models import EmailTemplate, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What users were told: listed and viewed, never added, changed or deleted here."""

    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "recipient__username", "recipient__person__name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "email_enabled", "updated_at"]
    list_filter = ["email_enabled"]
    search_fields = ["user__username", "user__person__name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]

    def has_delete_permission(self, request, obj=None):
        return False  # turn e-mails on instead: the row is the preference's history

    def save_model(self, request, obj, form, change):
        # Through the service the users' own page uses (history row, one transaction).
        services.set_email_enabled(obj.user, enabled=obj.email_enabled)
        obj.refresh_from_db()


@admin.register(EmailTemplate)
class EmailTemplateAdmin(SimpleHistoryAdmin):
    """The e-mails' wording; one row per use, created by the migrations."""

    list_display = ["key", "subject", "updated_at"]
    fields = ["key", "subject", "body", "variables"]
    readonly_fields = ["key", "variables"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
