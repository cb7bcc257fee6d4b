"""Request rates per API client."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from cooperation.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Count requests per token, per signed-in user, or per client address.

    A request authenticated by a token is counted against that token, so two systems of one
    user have separate budgets; a browser session against its user; an anonymous request
    against its client address (DRF's ``get_ident``, which honours ``NUM_PROXIES``).
    Authenticated clients get the ``"token"`` rate, anonymous ones the ``"anon"`` rate, both
    from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``. Sane defaults::

        "DEFAULT_THROTTLE_RATES": {"token": "1000/hour", "anon": "100/hour"}

    A rate of ``None`` turns throttling off for that kind of client; a missing one is a
    configuration error, reported on the first request.
    """

    scope = "token"
    anonymous_scope = "anon"

    def __init__(self):
        self.rate_of(self.anonymous_scope)  # both rates must be set, not only the first
        super().__init__()

    @staticmethod
    def rate_of(scope: str) -> str | None:
        # Read at call time: DRF binds THROTTLE_RATES when the class is defined, so a
        # changed setting (in tests, say) would otherwise go unseen.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for {scope!r}"
            ) from None

    def get_rate(self) -> str | None:
        return self.rate_of(self.scope)

    def allow_request(self, request, view) -> bool:
        if not self.is_authenticated(request):
            self.scope = self.anonymous_scope
            self.rate = self.get_rate()
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    @staticmethod
    def is_authenticated(request) -> bool:
        return isinstance(request.auth, ApiToken) or bool(
            request.user and request.user.is_authenticated
        )

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif self.is_authenticated(request):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
