"""Admin: administrators manage accounts and roles here; deliveries and the audit log are read-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from background.admin import JobFailuresMixin

from . import invitations
from .models import AuditEntry, Consegna, Membership, SpecVersion


class InvitationCsvForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File CSV (username, email, comune, role)"))


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ["comune"]
    extra = 1
    max_num = 1


class RemixUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = ["username", "email", "is_active", "membership_role", "membership_comune"]
    change_list_template = "admin/auth/user/remix_change_list.html"
    actions = ["send_invitations"]

    def get_urls(self):
        return [
            path("importa-csv/", self.admin_site.admin_view(self.import_csv), name="auth_user_import_csv"),
            *super().get_urls(),
        ]

    def import_csv(self, request):
        """Create or invite technicians from a CSV: every row checked first, e-mails with password-set links."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = InvitationCsvForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > 5 * 1024 * 1024:
                    raise invitations.InvitationError([_("Il file supera 5 MB.")])
                text = upload.read().decode("utf-8-sig")
                result = invitations.invite_from_csv(
                    text, request.build_absolute_uri("/"), request.LANGUAGE_CODE or "it"
                )
            except UnicodeDecodeError:
                form.add_error("file", _("Il file non è in UTF-8."))
            except invitations.InvitationError as err:
                for error in err.errors:
                    form.add_error("file", error)
            else:
                self.message_user(
                    request,
                    _("Account creati: %(created)s, aggiornati: %(updated)s, inviti inviati: %(invited)s.")
                    % {"created": len(result.created), "updated": len(result.updated), "invited": len(result.invited)},
                    messages.SUCCESS,
                )
                return redirect("admin:auth_user_changelist")
        return TemplateResponse(
            request,
            "admin/auth/user/import_csv.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "opts": self.model._meta,
                "title": _("Importa tecnici da CSV"),
            },
        )

    @admin.action(description=gettext_lazy("Invia il link per impostare la password"), permissions=["change"])
    def send_invitations(self, request, queryset):
        sent = 0
        for user in queryset.exclude(email=""):
            invitations.send_invitation(user, request.build_absolute_uri("/"), request.LANGUAGE_CODE or "it")
            sent += 1
        self.message_user(request, _("Inviti inviati: %(count)s.") % {"count": sent}, messages.SUCCESS)

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
