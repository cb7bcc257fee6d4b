from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from agreements.models import Agreement, AgreementParty, CooperationArea
from cooperation.admin_base import RecordAdmin, VisibleAdminMixin, VocabularyAdmin

admin.site.register(CooperationArea, VocabularyAdmin)


class PartyFormSet(BaseInlineFormSet):
    """Checks the bilateral rule on the parties as submitted, before anything is saved."""

    def clean(self):
        super().clean()
        roles = [
            form.cleaned_data.get("role")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        scope = self.instance.scope
        error = Agreement.bilateral_party_error(scope, roles)
        if error:
            raise ValidationError(error)


class PartyInline(admin.TabularInline):
    model = AgreementParty
    formset = PartyFormSet
    autocomplete_fields = ("partner",)
    exclude = ("created_by", "updated_by")
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(RecordAdmin):
    list_display = ("__str__", "kind", "scope", "signed_on", "status", "sensitivity")
    list_filter = ("kind", "scope", "sensitivity", "areas")
    search_fields = ("title", "short_title", "reference")
    date_hierarchy = "signed_on"
    autocomplete_fields = ("facilitator", "depositary", "amends", "supersedes", "shared_with")
    filter_horizontal = ("areas",)
    readonly_fields = ("uuid", "status", *RecordAdmin.readonly_fields)
    inlines = (PartyInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    @admin.display(ordering="lifecycle_status")
    def status(self, obj):
        return obj.get_status_display()


@admin.register(AgreementParty)
class AgreementPartyAdmin(VisibleAdminMixin, admin.ModelAdmin):
    list_display = ("agreement", "partner", "role", "signed_on", "consent_type", "consent_on")
    list_filter = ("role", "consent_type")
    list_select_related = ("agreement", "partner")
    search_fields = ("agreement__title", "partner__name")
    autocomplete_fields = ("agreement", "partner")

    def has_add_permission(self, request):
        # Parties are added and removed on their agreement, where the bilateral rule is
        # checked on the whole set.
        return False

    def has_delete_permission(self, request, obj=None):
        return False
