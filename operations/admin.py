from django.contrib import admin

from cooperation.admin_base import RecordAdmin, VisibleAdminMixin, VocabularyAdmin
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    OperationKind,
    Participation,
    Seizure,
    Substance,
    SubstanceGroup,
    Technology,
)

admin.site.register(OperationKind, VocabularyAdmin)
admin.site.register(Technology, VocabularyAdmin)
admin.site.register(SubstanceGroup, VocabularyAdmin)


@admin.register(Substance)
class SubstanceAdmin(VocabularyAdmin):
    list_display = ("code", "name", "group", "incb_list")
    list_filter = ("group", "incb_list")


class ChildInline(admin.TabularInline):
    exclude = ("created_by", "updated_by")
    extra = 0


class ParticipationInline(ChildInline):
    model = Participation
    autocomplete_fields = ("partner",)


class LegalBasisInline(ChildInline):
    model = LegalBasis
    autocomplete_fields = ("agreement",)


class SeizureInline(ChildInline):
    model = Seizure
    fields = (
        "substance",
        "quantity",
        "unit",
        "mass_per_unit_kg",
        "kg_equivalent",
        "seized_on",
        "country",
        "transport_mode",
        "forensic_status",
    )
    readonly_fields = ("kg_equivalent",)
    autocomplete_fields = ("country",)


class ImpactInline(admin.StackedInline):
    model = CommunityImpactReport
    exclude = ("created_by", "updated_by")
    autocomplete_fields = ("country",)
    extra = 0


@admin.register(JointOperation)
class JointOperationAdmin(RecordAdmin):
    list_display = ("name", "kind", "status", "started_on", "ended_on", "arrests", "sensitivity")
    list_filter = ("kind", "status", "sensitivity", "countries__region")
    list_select_related = ("kind",)
    search_fields = ("name", "summary")
    date_hierarchy = "started_on"
    autocomplete_fields = ("countries", "shared_with")
    filter_horizontal = ("technologies",)
    readonly_fields = ("uuid", *RecordAdmin.readonly_fields)
    inlines = (ParticipationInline, LegalBasisInline, SeizureInline, ImpactInline)


class ChildAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False


@admin.register(Participation)
class ParticipationAdmin(ChildAdmin):
    list_display = ("operation", "partner", "role", "personnel")
    list_filter = ("role",)
    list_select_related = ("operation", "partner")
    search_fields = ("operation__name", "partner__name")
    autocomplete_fields = ("operation", "partner")


@admin.register(LegalBasis)
class LegalBasisAdmin(ChildAdmin):
    list_display = ("operation", "agreement", "article")
    list_select_related = ("operation", "agreement")
    search_fields = ("operation__name", "agreement__title")
    autocomplete_fields = ("operation", "agreement")


@admin.register(Seizure)
class SeizureAdmin(ChildAdmin):
    list_display = (
        "operation",
        "substance",
        "quantity",
        "unit",
        "kg_equivalent",
        "seized_on",
        "country",
        "forensic_status",
    )
    list_filter = ("substance__group", "substance", "unit", "forensic_status", "transport_mode")
    list_select_related = ("operation", "substance", "country")
    search_fields = ("operation__name", "location")
    date_hierarchy = "seized_on"
    autocomplete_fields = (
        "operation",
        "country",
        "origin_country",
        "destination_country",
        "transit_countries",
    )
    readonly_fields = ("kg_equivalent", *ChildAdmin.readonly_fields)


@admin.register(CommunityImpactReport)
class CommunityImpactReportAdmin(ChildAdmin):
    list_display = ("operation", "kind", "severity", "occurred_on", "follow_up_status")
    list_filter = ("kind", "severity", "follow_up_status")
    list_select_related = ("operation",)
    search_fields = ("operation__name", "description", "location")
    autocomplete_fields = ("operation", "country")


@admin.register(JournalEntry)
class JournalEntryAdmin(ChildAdmin):
    list_display = ("title", "operation", "kind", "occurred_at", "author")
    list_filter = ("kind",)
    list_select_related = ("operation", "author")
    search_fields = ("title", "body", "operation__name")
    autocomplete_fields = ("operation", "author_partner")
    exclude = ("author",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
