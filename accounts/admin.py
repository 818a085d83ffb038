from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Agency, Location, User


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [LocationInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "agency", "active"]
    list_filter = ["active", "agency"]
    search_fields = ["code", "name"]


@admin.register(User)
class ChatUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "login_source", "agency", "is_active"]
    list_filter = ["role", "login_source", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Chat", {"fields": ("role", "login_source", "agency", "locations", "chat_capacity")}),
    )
    filter_horizontal = ["locations", "groups", "user_permissions"]


from accounts import oidc_admin  # noqa: E402,F401  (the sign-in audit, read-only)
