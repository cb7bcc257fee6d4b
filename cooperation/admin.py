from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from cooperation.models import (
    Affiliation,
    Agency,
    Country,
    Government,
    Membership,
    Organization,
    Partner,
    PartnerIdentifier,
    Region,
    User,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("m49", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("m49", "name")


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("iso3", "iso2", "numeric", "name", "region", "subregion")
    list_filter = ("region", "subregion")
    search_fields = ("iso3", "iso2", "name", "official_name")
    list_select_related = ("region", "subregion")


class IdentifierInline(admin.TabularInline):
    model = PartnerIdentifier
    extra = 0


class MemberInline(admin.TabularInline):
    model = Membership
    fk_name = "organization"
    autocomplete_fields = ("member",)
    extra = 0
    verbose_name = "member"
    verbose_name_plural = "members"


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "acronym", "kind", "country", "parent", "is_active")
    list_filter = ("kind", "agency_type", "organization_type", "is_active", "country__region")
    search_fields = ("name", "acronym", "country__name", "identifiers__value")
    list_select_related = ("country", "parent")
    autocomplete_fields = ("country", "parent")
    readonly_fields = ("uuid", "created_at", "updated_at")
    inlines = (IdentifierInline, MemberInline)


class TypedPartnerAdmin(PartnerAdmin):
    """The admin of one face of a partner: the kind is fixed, so it is not asked."""

    exclude = ("kind",)

    def get_inlines(self, request, obj):
        return self.inlines


@admin.register(Government)
class GovernmentAdmin(TypedPartnerAdmin):
    list_display = ("name", "country", "is_active")
    list_filter = ("is_active", "country__region")
    exclude = ("kind", "parent", "agency_type", "organization_type")
    inlines = (IdentifierInline,)


@admin.register(Agency)
class AgencyAdmin(TypedPartnerAdmin):
    list_display = ("name", "acronym", "agency_type", "parent", "country")
    list_filter = ("agency_type", "country__region")
    exclude = ("kind", "organization_type")
    inlines = (IdentifierInline,)


@admin.register(Organization)
class OrganizationAdmin(TypedPartnerAdmin):
    list_display = ("name", "acronym", "organization_type", "country")
    list_filter = ("organization_type",)
    exclude = ("kind", "parent", "agency_type")
    inlines = (IdentifierInline, MemberInline)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("organization", "member", "joined_on", "left_on")
    list_select_related = ("organization", "member")
    search_fields = ("organization__name", "member__name")
    autocomplete_fields = ("organization", "member")


@admin.register(PartnerIdentifier)
class PartnerIdentifierAdmin(admin.ModelAdmin):
    list_display = ("partner", "scheme", "value")
    list_filter = ("scheme",)
    search_fields = ("value", "partner__name")
    autocomplete_fields = ("partner",)


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    autocomplete_fields = ("partner",)
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = (AffiliationInline,)
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "title", "created_at")
    list_select_related = ("user", "partner")
    search_fields = ("user__username", "partner__name")
    autocomplete_fields = ("user", "partner")
