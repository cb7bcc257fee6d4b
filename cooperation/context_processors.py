"""What every portal page knows about its viewer: the sections of the navigation they may use."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

# (URL name, label, permission needed or None). Reading is open to everyone: what a page
# lists is decided by ``visible_to``; writing needs the model permission of the officer group.
SECTIONS = (
    ("home", "Dashboard", None),
    ("agreements:list", "Agreements", None),
    ("operations:list", "Operations", None),
    ("partners:list", "Partners", None),
    ("geography:countries", "Countries", None),
    ("summaries:list", "Summaries", None),
    ("search", "Search", None),
)
ACTIONS: tuple = (  # (URL name, label, permission)
    ("operations:create", "Log an operation", "operations.add_jointoperation"),
    ("imports:list", "Import", "operations.add_jointoperation"),
)


def portal(request) -> dict:
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")

    def allowed(permission) -> bool:
        return permission is None or bool(user and user.has_perm(permission))

    def item(name, label):
        url = reverse(name)
        current = path == url if url == "/" else path.startswith(url)
        return {"url": url, "label": label, "current": current}

    def links():
        actions = [item(n, label) for n, label, perm in ACTIONS if allowed(perm)]
        navigation = [item(n, label) for n, label, perm in SECTIONS if allowed(perm)]
        if any(action["current"] for action in actions):
            # One link is the current page: the action's, not its section's as well.
            for section in navigation:
                section["current"] = False
        return {"navigation": navigation, "actions": actions}

    # Resolved only when a template uses them: pages outside the portal (the admin, a test's
    # own URLconf) never reverse the portal's URLs.
    resolved = SimpleLazyObject(links)
    return {
        "navigation": lambda: resolved["navigation"],
        "actions": lambda: resolved["actions"],
    }
