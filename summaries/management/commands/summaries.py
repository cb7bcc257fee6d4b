"""``python manage.py summaries --from 2015-01 --to 2026-10 [--granularity month]``: compute
(or recompute) the cooperation summaries of a range of periods, with a progress bar."""

from __future__ import annotations

import datetime
import re
import time
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from tqdm import tqdm

from summaries.compute import SEED_WITNESSES_FROM, compute, periods, seed_pair_witnesses
from summaries.models import Granularity

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month(text: str) -> datetime.date:
    match = MONTH.match(text or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise CommandError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2015-01.")
    return datetime.date(int(match[1]), int(match[2]), 1)


def compute_in_own_connection(period):
    """One period, in this thread's own database connection (closed after)."""
    try:
        return compute(*period)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = (
        "Compute the cooperation summaries of every period from --from to --to (months, "
        "YYYY-MM, both included), for every scope and audience. Re-running gives the same "
        "figures. --queue sends the periods to the Celery workers instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="First month, YYYY-MM.")
        parser.add_argument("--to", dest="last", required=True, help="Last month, YYYY-MM.")
        parser.add_argument(
            "--granularity",
            choices=[*Granularity.values, "all"],
            default="all",
            help="Which periods: month, quarter, year, or all three (the default).",
        )
        parser.add_argument(
            "--queue", action="store_true", help="Queue one task per period for the workers."
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Periods computed at once, each in its own database connection (default 1).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, first, last, granularity, queue, jobs, no_progress, **options):
        start, end = month(first), month(last)
        if start > end:
            raise CommandError(f"--from {first} comes after --to {last}.")
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        chosen = Granularity.values if granularity == "all" else [granularity]
        work = [(g, p) for g in chosen for p in periods(g, start, end)]
        began = time.perf_counter()
        if len(work) >= SEED_WITNESSES_FROM:
            seeded = seed_pair_witnesses()
            self.stdout.write(
                f"Found the earliest public operation of {seeded} partner pairs "
                f"in {time.perf_counter() - began:.1f} s."
            )
        if queue:
            from summaries.tasks import compute_summaries

            for g, p in work:
                compute_summaries.delay(g, p.isoformat())
            self.stdout.write(f"Queued {len(work)} periods.")
            return
        rows = 0
        bar = tqdm(total=len(work), unit="period", disable=no_progress, file=self.stderr._out)
        if jobs == 1:
            for g, p in work:
                bar.set_description(f"{g} {p:%Y-%m}")
                rows += compute(g, p).rows
                bar.update()
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for outcome in pool.map(compute_in_own_connection, work):
                    bar.set_description(f"{outcome.granularity} {outcome.period_start:%Y-%m}")
                    rows += outcome.rows
                    bar.update()
        bar.close()
        seconds = time.perf_counter() - began
        self.stdout.write(
            f"Computed {len(work)} periods ({', '.join(chosen)}): {rows} summary rows "
            f"in {seconds:.1f} s."
        )
