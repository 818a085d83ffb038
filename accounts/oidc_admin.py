"""The sign-in audit in the admin, read-only (supervisors and administrators review refusals there)."""

from django.contrib import admin

from accounts.oidc_models import SignInAudit


@admin.register(SignInAudit)
class SignInAuditAdmin(admin.ModelAdmin):
    list_display = ("at", "provider", "event", "reason", "user", "sessions_ended", "ip")
    list_filter = ("event", "provider", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
