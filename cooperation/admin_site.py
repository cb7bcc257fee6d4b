"""The admin site, for administrators only.

Django's default lets in any active staff member; here the door is the administrator group
(or a superuser), the same test that grants every record (:func:`is_administrator`). A staff
flag on an officer's account opens nothing.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from cooperation.visibility import is_administrator


class PortalAdminSite(admin.AdminSite):
    site_header = "Cooperation records: administration"
    site_title = "Cooperation records"

    def has_permission(self, request) -> bool:
        return is_administrator(request.user)


class PortalAdminConfig(AdminConfig):
    default_site = "cooperation.admin_site.PortalAdminSite"
