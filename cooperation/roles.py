"""The three roles as Django groups, and the model permissions each one holds.

Groups are synced after every ``migrate`` (permissions only exist once their models are
migrated), so a fresh database, the test database and production get the same roles.
Record visibility is separate: see :mod:`cooperation.visibility`.
"""

from __future__ import annotations

from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP

PROJECT_APPS = ("cooperation", "agreements", "operations", "summaries")

# Models whose rows officers log and correct.
OFFICER_EDITS = {
    "agreements": ("agreement", "agreementparty"),
    "operations": (
        "jointoperation",
        "participation",
        "legalbasis",
        "seizure",
        "communityimpactreport",
        "journalentry",
    ),
}


def may_change(user, model) -> bool:
    """Whether ``user`` holds the permission to change rows of ``model`` (officers and
    administrators, for the records officers edit)."""
    meta = model._meta
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}")


def role_permissions(Permission) -> dict[str, list]:
    """The permissions of each role, as querysets of ``Permission``."""
    project = Permission.objects.filter(content_type__app_label__in=PROJECT_APPS)
    views = project.filter(codename__startswith="view_")
    officer_codenames = [
        f"{action}_{model}"
        for models in OFFICER_EDITS.values()
        for model in models
        for action in ("add", "change", "delete")
    ]
    edits = project.filter(
        content_type__app_label__in=OFFICER_EDITS, codename__in=officer_codenames
    )
    return {
        ANALYST_GROUP: list(views),
        OFFICER_GROUP: list(views) + list(edits),
        ADMINISTRATOR_GROUP: list(
            # axes: administrators see sign-in lock-outs and lift them.
            Permission.objects.filter(
                content_type__app_label__in=(*PROJECT_APPS, "auth", "admin", "axes")
            )
        ),
    }


def sync_role_groups(sender=None, **kwargs) -> None:
    """Create the role groups and set their permissions (a ``post_migrate`` receiver)."""
    from django.contrib.auth.models import Group, Permission

    for name, permissions in role_permissions(Permission).items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
