from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html

from cooperation.admin_base import LookOnlyAdminMixin
from cooperation.models import (
    Affiliation,
    Agency,
    ApiToken,
    Country,
    Deletion,
    Government,
    ImportJob,
    Membership,
    Organization,
    Partner,
    PartnerIdentifier,
    Region,
    User,
)
from cooperation.visibility import is_administrator


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens show their prefix, never their key or its digest.

    A key exists in clear only in the response that issues it: adding a token or
    regenerating its key shows the key once, in a message.
    """

    list_display = (
        "prefix",
        "user",
        "name",
        "read_only",
        "expires_at",
        "created_at",
        "last_used_at",
    )
    list_filter = ("read_only",)
    list_select_related = ("user",)
    search_fields = ("user__username", "name", "prefix")
    autocomplete_fields = ("user",)
    fields = ("user", "name", "read_only", "expires_at", "prefix", "created_at", "last_used_at")
    actions = ("regenerate_keys",)

    def get_fields(self, request, obj=None):
        if obj is None:  # the add form asks only what a new token needs
            return ("user", "name", "read_only", "expires_at")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A token's user is fixed: handing a live key to someone else is a new token.
        return ("user", "prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.new_key = obj.set_new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        self.show_key_once(request, obj, obj.new_key)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(permissions=["change"], description="Regenerate the key of the selected tokens")
    def regenerate_keys(self, request, queryset):
        for token in queryset.select_related("user"):
            key = token.set_new_key()
            token.save(update_fields=["prefix", "key_hash"])
            self.log_change(request, token, "Regenerated the key.")
            self.show_key_once(request, token, key)

    @staticmethod
    def show_key_once(request, token, key: str) -> None:
        messages.success(
            request,
            format_html(
                "The key of token “{}” for {} is <code>{}</code> — copy it now, it will not "
                "be shown again.",
                token.name or token.prefix,
                token.user,
                key,
            ),
        )


@admin.register(Deletion)
class DeletionAdmin(LookOnlyAdminMixin, admin.ModelAdmin):
    """Tombstones are written by deletes and read by mirrors: the admin only looks."""

    list_display = ("resource", "object_id", "object_uuid", "sensitivity", "deleted_at")
    list_filter = ("resource", "sensitivity")
    date_hierarchy = "deleted_at"

    def get_queryset(self, request):
        # A tombstone tells that a record existed: it is seen by those who could see it.
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ImportJob)
class ImportJobAdmin(LookOnlyAdminMixin, admin.ModelAdmin):
    """Import jobs, as their pages show them: the admin only looks."""

    list_display = ("filename", "kind", "user", "state", "progress", "rows", "created_at")
    list_filter = ("kind", "state", "mode")
    date_hierarchy = "created_at"
    exclude = ("content",)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user).select_related("user")


class EventAdmin(LookOnlyAdminMixin, admin.ModelAdmin):
    """A record's history events (``cooperation.history``): administrators read them; nobody
    adds, changes or deletes one (the database refuses it too)."""

    list_display = ("pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id")
    list_filter = ("pgh_label",)
    ordering = ("-pgh_id",)
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_module_permission(self, request):
        return is_administrator(request.user)


for _model in apps.get_models():
    if getattr(_model, "pgh_tracked_model", None) and _model._meta.app_label in (
        "cooperation",
        "agreements",
        "operations",
    ):
        admin.site.register(_model, EventAdmin)
