"""Summaries in the admin: read only (they are computed, never typed), and an administrator
sees every stored row while anyone else sees what ``visible_to`` gives them."""

from django.contrib import admin

from cooperation.admin_base import LookOnlyAdminMixin
from cooperation.visibility import is_administrator
from summaries.models import CooperationSummary, PairWitness, SummaryRun


class ComputedAdmin(LookOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(CooperationSummary)
class CooperationSummaryAdmin(ComputedAdmin):
    list_display = ("period_start", "granularity", "scope_kind", "scope_key", "audience", "version")
    list_filter = ("granularity", "scope_kind")
    search_fields = ("scope_key", "audience")
    date_hierarchy = "period_start"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if is_administrator(request.user) else rows.visible_to(request.user)


@admin.register(SummaryRun)
class SummaryRunAdmin(ComputedAdmin):
    list_display = ("finished_at", "granularity", "period_start", "rows", "seconds", "task_id")
    list_filter = ("granularity",)


@admin.register(PairWitness)
class PairWitnessAdmin(ComputedAdmin):
    list_display = ("partner_a", "partner_b", "operation_id")
