from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = "Cooperation"

    def ready(self) -> None:
        from cooperation import deletions, observability  # noqa: F401 - connects its signals
        from cooperation.roles import sync_role_groups

        deletions.connect()

        # After the last project app migrates, so that every permission exists.
        post_migrate.connect(sync_role_groups, dispatch_uid="cooperation.sync_role_groups")
