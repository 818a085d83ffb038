"""The access audit in the admin: readable, never editable."""

from django.contrib import admin

from transcripts.models import AccessRecord


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "allowed", "status", "case_number", "ip", "purpose")
    list_filter = ("action", "allowed")
    search_fields = ("username", "case_number")
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
