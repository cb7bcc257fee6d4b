"""Who may write through the API. Who may *read* what is the visibility rule, applied by
each view's queryset (:mod:`cooperation.visibility`), not here.

Views declare ``permission_classes = [ReadOnlyTokenPermission, RecordPermission]``: DRF
grants a request only when every class does, and reports the first refusal, so a read-only
token hears that before anything else.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from cooperation.models import ApiToken


class ReadOnlyTokenPermission(BasePermission):
    """Refuse every unsafe method to a request authenticated by a read-only token."""

    message = "This token is read-only."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        return not (isinstance(token, ApiToken) and token.read_only)


class RecordPermission(DjangoModelPermissions):
    """Reads for anyone; writes for an active user holding the model permission.

    Writes need ``add_`` / ``change_`` / ``delete_<model>`` on the model of the view's
    queryset (DRF's ``perms_map``): officers and administrators hold them through their
    groups (:mod:`cooperation.roles`), analysts do not.
    """

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        model = self._queryset(view).model
        return user.has_perms(self.get_required_permissions(request.method, model))
