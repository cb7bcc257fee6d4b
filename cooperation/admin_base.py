"""Admin building blocks shared by the apps: every record list goes through ``visible_to``
and every save records who made it."""

from __future__ import annotations

from django.contrib import admin


class AuditedAdminMixin:
    """Stamp ``created_by`` / ``updated_by`` on records and on the rows of their inlines."""

    readonly_fields = ("created_at", "updated_at", "created_by", "updated_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for row in formset.save(commit=False):
            if hasattr(row, "created_by_id"):
                if row._state.adding:
                    row.created_by = request.user
                row.updated_by = request.user
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()


class VisibleAdminMixin(AuditedAdminMixin):
    """Show a user only the records (or child rows) ``visible_to`` them."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class RecordAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "position")
    search_fields = ("code", "name")
    ordering = ("position", "name")


class LookOnlyAdminMixin:
    """Rows the application writes (tombstones, computed summaries): the admin only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
