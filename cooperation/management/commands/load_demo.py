from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cooperation.demo_loader import DemoDataError, demo_password, load_demo
from cooperation.history import changes


class Command(BaseCommand):
    help = (
        "Load the hand-curated demo data set and the demo users. Loading twice adds nothing. "
        "Demo passwords are public: refuse to run with DEBUG off unless --allow-production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with DEBUG off (the demo users have well-known passwords).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off: the demo users have well-known passwords. "
                "Pass --allow-production to load them anyway."
            )
        try:
            # One change set in every record's history: "Demo data", by this command.
            with changes(reason="Demo data loaded", source="load_demo"):
                report = load_demo()
        except DemoDataError as error:
            raise CommandError(f"Demo data not loaded: {error}") from error
        if not report.created and not report.users_created:
            self.stdout.write("Demo data already loaded; nothing to add.")
            return
        for label, count in sorted(report.created.items()):
            self.stdout.write(f"  {label}: {count} added")
        if report.users_created:
            self.stdout.write(
                self.style.WARNING("Demo users (demo-only passwords, shown this once):")
            )
            for username in report.users_created:
                self.stdout.write(f"  {username} / {demo_password(username)}")
