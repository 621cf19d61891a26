"""Admin: security events and change addresses are read-only, like every audit row."""

from django.contrib import admin

from accounts.models import ChangeAddress, Profile, SecurityEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and viewed, never added, changed or deleted (不可修改、不可删除)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "user", "username", "address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "address", "detail"]
    date_hierarchy = "occurred_at"
    list_select_related = ["user"]


@admin.register(ChangeAddress)
class ChangeAddressAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "model", "history_id", "address"]
    list_filter = ["model"]
    search_fields = ["address"]


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    """Changed only through the account pages (each change is a security event)."""

    list_display = ["user", "must_change_password", "created_by", "password_changed_at"]
    list_filter = ["must_change_password"]
    list_select_related = ["user", "created_by"]
