"""Token authentication for partner systems: ``Authorization: Token <key>``.

Keys are never stored, only their SHA-256 digest (see :class:`~cooperation.models.ApiToken`),
so a token is found by the digest of the whole key presented. Nothing is looked up by a
part of the key and no key is compared in Python, so a wrong key teaches its sender nothing
about the keys that exist.
"""

from __future__ import annotations

import datetime
from typing import NoReturn

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from cooperation.models import ApiToken

# A token's ``last_used_at`` is written at most once in this interval, so reads stay reads.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate a request by an :class:`~cooperation.models.ApiToken`.

    ``request.user`` is the token's user and ``request.auth`` the token itself, so
    permissions can tell a read-only token apart. The scheme keyword is matched without
    regard to case, as DRF's own ``TokenAuthentication`` and RFC 9110 do.
    """

    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme, or none: let the next authenticator try
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain spaces."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "Invalid token header. Token string should not contain invalid characters."
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[object, ApiToken]:
        """Return ``(user, token)`` for a usable token, else raise ``AuthenticationFailed``.

        A key that matches no usable token costs the same second query whether the token is
        unknown, expired or its user's: only its sender, who holds the key, learns which.
        """
        tokens = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.digest(key))
        token = tokens.usable().first()
        if token is None:
            self.refuse(tokens.first())
        self.record_use(token)
        return token.user, token

    @staticmethod
    def refuse(token: ApiToken | None) -> NoReturn:
        """Raise the reason ``token`` (matched by its key, not usable) does not authenticate."""
        if token is not None and token.is_expired:
            raise exceptions.AuthenticationFailed("Token expired.")
        if token is not None and not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        raise exceptions.AuthenticationFailed("Invalid token.")

    @staticmethod
    def record_use(token: ApiToken) -> None:
        """Stamp ``last_used_at``, at most once per :data:`LAST_USED_RESOLUTION`.

        The loaded value spares the query on most requests; the conditional UPDATE keeps
        concurrent requests from writing the same minute twice.
        """
        now = timezone.now()
        stale = now - LAST_USED_RESOLUTION
        if token.last_used_at is not None and token.last_used_at >= stale:
            return
        claimed = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale))
            .update(last_used_at=now)
        )
        if claimed:
            token.last_used_at = now

    def authenticate_header(self, request) -> str:
        """The ``WWW-Authenticate`` challenge, which makes DRF answer 401 rather than 403."""
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes :class:`ApiTokenAuthentication` in the OpenAPI schema (drf-spectacular
    registers an extension when its class is defined)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.keyword
        )
