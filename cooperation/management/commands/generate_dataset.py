from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cooperation.dataset import DatasetError, Progress, generate


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic agreements and operations (with participants, "
        "seizures, countries, legal bases, impact reports and journal entries) for "
        "benchmarks, loaded with COPY in one transaction, then VACUUM ANALYZE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--operations", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, operations, seed, **options):
        progress = Progress(self.stdout.write)
        try:
            counts = generate(operations, seed, progress)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            self.stdout.write(f"  database size: {cursor.fetchone()[0]}")
