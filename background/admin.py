"""Read-only admin of job failures: the traceback of every failed background job, for staff."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from .models import JobFailure


class JobFailuresMixin:
    """For the admin of a domain model run by background jobs: its failures and their tracebacks."""

    job_kind = ""  # validation | load | export
    readonly_fields = ("job_failures",)

    @admin.display(description="errori dei lavori in background")
    def job_failures(self, obj):
        failures = JobFailure.objects.filter(kind=self.job_kind, object_id=obj.pk).order_by("id") if obj else []
        if not failures:
            return "-"
        return format_html_join(
            "",
            "<p><b>{} · tentativo {}{}</b>: {}</p><pre style='white-space: pre-wrap'>{}</pre>",
            (
                (f.created_at, f.attempt + 1, "" if f.final else " (ripreso)", f.reason, f.traceback or "-")
                for f in failures
            ),
        )


@admin.register(JobFailure)
class JobFailureAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "object_id", "task_name", "attempt", "final", "short_reason")
    list_filter = ("kind", "final", "task_name")
    search_fields = ("reason", "traceback", "=object_id", "=job_id")
    readonly_fields = (
        "kind",
        "object_id",
        "task_name",
        "job_id",
        "attempt",
        "final",
        "reason",
        "formatted_traceback",
        "created_at",
    )
    exclude = ("traceback",)

    @admin.display(description="motivo")
    def short_reason(self, obj):
        return obj.reason[:120]

    @admin.display(description="traceback")
    def formatted_traceback(self, obj):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", obj.traceback or "-")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
