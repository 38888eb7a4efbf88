"""Read-only admin of the dataset versions: the load history is a record, not an editable table."""

from django.contrib import admin

from background.admin import JobFailuresMixin

from .models import DatasetVersion, EtlJob, RejectedRow


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    extra = 0
    can_delete = False
    readonly_fields = ("row_number", "reason", "data")


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ("source_id", "version", "status", "started_at", "rows_loaded", "rows_rejected", "duration_s")
    list_filter = ("status", "source_id")
    inlines = [RejectedRowInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EtlJob)
class EtlJobAdmin(JobFailuresMixin, admin.ModelAdmin):
    """Background loads as queued by `etl run --background`; run by the worker (`manage.py worker`)."""

    list_display = ("id", "source_id", "status", "step", "result", "version", "requested_by", "worker", "created_at")
    list_filter = ("status", "source_id")
    job_kind = "load"
    readonly_fields = [f.name for f in EtlJob._meta.fields] + ["job_failures"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
