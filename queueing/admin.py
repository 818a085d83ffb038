from django.contrib import admin

from queueing.models import AgentPresence, CannedReply, ClosureDate, PresenceEvent


@admin.register(ClosureDate)
class ClosureDateAdmin(admin.ModelAdmin):
    list_display = ["date", "reason"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "shortcut"]


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "last_seen", "last_assigned_at"]
    readonly_fields = ["user", "status", "status_changed_at", "last_seen", "last_assigned_at"]


@admin.register(PresenceEvent)
class PresenceEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "status", "reason"]

    def has_change_permission(self, request, obj=None) -> bool:  # audit rows are append-only
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
