"""Response headers for what only its reader may see."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateResponseMiddleware:
    """A response to a signed-in user or to a request carrying credentials (an API token) is
    for that reader alone: no shared or browser cache may store it (``Cache-Control:
    private, no-store``), and a cache keyed on the URL alone must not answer another reader
    with it (``Vary: Authorization, Cookie``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response
