"""Admin: administrators manage accounts and roles here; deliveries and the audit log are read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from background.admin import JobFailuresMixin

from .models import AuditEntry, Consegna, Membership, SpecVersion


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ["comune"]
    extra = 1
    max_num = 1


class RemixUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = ["username", "email", "is_active", "membership_role", "membership_comune"]

    @admin.display(description="ruolo")
    def membership_role(self, obj):
        return getattr(getattr(obj, "membership", None), "role", "")

    @admin.display(description="comune")
    def membership_comune(self, obj):
        member = getattr(obj, "membership", None)
        return member.comune if member and member.comune_id else ""


admin.site.unregister(User)
admin.site.register(User, RemixUserAdmin)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consegna)
class ConsegnaAdmin(JobFailuresMixin, ReadOnly):
    job_kind = "validation"  # the traceback of a validation that failed, for staff
    list_display = ["id", "comune", "kind", "state", "created_at", "uploaded_by", "purged_at"]
    list_filter = ["state", "kind"]
    search_fields = ["comune__name", "deliberation"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ["at", "username", "action", "object_type", "object_id", "istat_code"]
    list_filter = ["action"]
    search_fields = ["username", "istat_code"]


@admin.register(SpecVersion)
class SpecVersionAdmin(ReadOnly):
    list_display = ["code", "title", "valid_from", "loaded_at"]
