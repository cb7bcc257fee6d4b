"""What every portal page knows about its viewer: the sections of the navigation they may use."""

from __future__ import annotations

from django.urls import reverse

# (URL name, label, permission needed or None). Reading is open to everyone: what a page
# lists is decided by ``visible_to``; writing needs the model permission of the officer group.
SECTIONS = (
    ("home", "Dashboard", None),
    ("agreements:list", "Agreements", None),
    ("operations:list", "Operations", None),
    ("partners:list", "Partners", None),
    ("geography:countries", "Countries", None),
    ("search", "Search", None),
)
ACTIONS: tuple = ()  # (URL name, label, permission), e.g. logging an operation


def portal(request) -> dict:
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")

    def allowed(permission) -> bool:
        return permission is None or bool(user and user.has_perm(permission))

    def item(name, label):
        url = reverse(name)
        current = path == url if url == "/" else path.startswith(url)
        return {"url": url, "label": label, "current": current}

    # Callables, which templates call when they use them: pages outside the portal (the
    # admin, a test's own URLconf) never resolve the portal's URLs.
    return {
        "navigation": lambda: [item(n, label) for n, label, perm in SECTIONS if allowed(perm)],
        "actions": lambda: [item(n, label) for n, label, perm in ACTIONS if allowed(perm)],
    }
