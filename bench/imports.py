"""Benchmark: the bulk import of seizures from CSV, against a plain PostgreSQL COPY.

    DATABASE_URL=postgres://…/dev .venv/bin/python bench/imports.py [--rows 100000] [--runs 3]

Needs a migrated database (its vocabularies; any records already there stay as they are —
``bench_dataset`` measures the import beside a million operations). Every run happens in a
transaction that is rolled back: the database is left as it was. Prints, for a file of
``--rows`` seizure lines (ten per operation, each operation's columns on its first line):

1. the first import (every operation and seizure new): time, rows per second, the time of
   each stage (read and parse, check, write);
2. the same file again (nothing changes, nothing is written);
3. the file with every quantity changed (every seizure updated);
4. a plain ``COPY`` of the same seizure rows, already typed, into the seizure table (its
   indexes and history triggers included), and the ratio of the first import to it.

Goal: at least 5,000 rows per second with validation, upsert and history.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cooperation import importing  # noqa: E402
from cooperation.models import Affiliation, Partner  # noqa: E402
from cooperation.visibility import OFFICER_GROUP  # noqa: E402
from operations.imports import OperationImport  # noqa: E402
from operations.models import JointOperation, Seizure  # noqa: E402

SEIZURES_EACH = 10
SUBSTANCES = ("cocaine", "heroin", "cannabis_herb", "cocaine_base", "opium")
UNITS = ("kg", "kg", "g", "t", "L")
HEADER = (
    "operation_ref,name,kind,status,started_on,ended_on,sensitivity,countries,partners,"
    "arrests,seizure_ref,substance,quantity,unit,seized_on,seizure_country,location,"
    "transport_mode,notes"
)


def spreadsheet(rows: int, partner: str, factor: int = 1) -> bytes:
    lines = [HEADER]
    start = datetime.date(2023, 1, 1)
    for n in range(rows):
        op, seizure = divmod(n, SEIZURES_EACH)
        began = start + datetime.timedelta(days=op % 700)
        own = (
            f"Operation Bench {op},maritime_interdiction,completed,{began},"
            f"{began + datetime.timedelta(days=30)},partners,COL;PAN,{partner}: lead,{op % 7}"
            if seizure == 0
            else ",,,,,,,,"
        )
        quantity = Decimal(n % 997 + 1) * factor / 4
        lines.append(
            f"B-{op},{own},S-{seizure},{SUBSTANCES[n % 5]},{quantity},{UNITS[n % 5]},"
            f"{began + datetime.timedelta(days=seizure)},COL,Pacific coast,maritime,"
        )
    return "\n".join(lines).encode()


class Rollback(Exception):
    pass


def importer():
    partner = Partner.objects.create(
        kind="organization", name="Bench Importers", organization_type="ngo"
    )
    user = get_user_model().objects.create(username="bench-importer")
    user.groups.add(Group.objects.get(name=OFFICER_GROUP))
    Affiliation.objects.create(user=user, partner=partner)
    return get_user_model().objects.get(pk=user.pk), partner


def timed_import(kind, data, user, partner, stages) -> tuple[float, importing.Outcome]:
    marks = []

    def progress(percent, stage):
        marks.append((time.perf_counter(), stage))

    began = time.perf_counter()
    outcome = importing.run(
        kind,
        filename="bench.csv",
        data=data,
        user=user,
        author_partner_id=partner.pk,
        skip_bad_rows=False,
        write=True,
        progress=progress,
    )
    ended = time.perf_counter()
    assert not outcome.problems, outcome.problems[:5]
    # Each mark starts a stage: a stage lasts until the next mark.
    for (at, stage), (following, _) in zip(marks, [*marks[1:], (ended, "")], strict=True):
        stages.setdefault(stage, []).append(following - at)
    return ended - began, outcome


def copy_rows(rows: int, operation_ids: list[int], user_id: int) -> float:
    """COPY the same seizure rows, typed in advance, into the seizure table."""
    columns = [
        "operation_id", "reference", "substance_id", "quantity", "unit", "seized_on",
        "country_id", "location", "transport_mode", "forensic_status", "notes",
        "created_at", "updated_at", "created_by_id", "updated_by_id",
    ]  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    start = datetime.date(2023, 1, 1)
    typed = []
    for n in range(rows):
        op, seizure = divmod(n, SEIZURES_EACH)
        began = start + datetime.timedelta(days=op % 700)
        typed.append((
            operation_ids[op], f"C-{seizure}", SUBSTANCES[n % 5], Decimal(n % 997 + 1) / 4,
            UNITS[n % 5], began + datetime.timedelta(days=seizure), "COL", "Pacific coast",
            "maritime", "not_tested", "", now, now, user_id, user_id,
        ))  # fmt: skip
    began = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {Seizure._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        ) as copy,
    ):
        for row in typed:
            copy.write_row(row)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = args.rows
    print(f"Import of {rows:,} seizure lines ({rows // SEIZURES_EACH:,} operations), "
          f"{args.runs} runs, on {connection.settings_dict['NAME']} "
          f"({JointOperation.objects.count():,} operations stored)")  # fmt: skip
    figures: dict[str, list[float]] = {"first": [], "again": [], "changed": [], "copy": []}
    stages: dict[str, list[float]] = {}
    for _ in range(args.runs):
        try:
            with transaction.atomic():
                user, partner = importer()
                kind = OperationImport()
                data = spreadsheet(rows, partner.name)
                seconds, outcome = timed_import(kind, data, user, partner, stages)
                figures["first"].append(seconds)
                assert outcome.summary["rows_created"] == rows, outcome.summary
                seconds, outcome = timed_import(OperationImport(), data, user, partner, {})
                figures["again"].append(seconds)
                assert outcome.summary["rows_updated"] == outcome.summary["rows_created"] == 0
                changed = spreadsheet(rows, partner.name, factor=3)
                seconds, outcome = timed_import(OperationImport(), changed, user, partner, {})
                figures["changed"].append(seconds)
                ids = dict(
                    JointOperation.objects.filter(author_partner=partner).values_list(
                        "reference", "pk"
                    )
                )
                ordered = [ids[f"B-{op}"] for op in range(rows // SEIZURES_EACH)]
                figures["copy"].append(copy_rows(rows, ordered, user.pk))
                raise Rollback
        except Rollback:
            pass

    def line(label, key):
        values = figures[key]
        median = statistics.median(values)
        print(f"  {label:<44} {median:7.2f} s  {rows / median:9,.0f} rows/s   "
              f"(runs: {', '.join(f'{v:.2f}' for v in values)})")  # fmt: skip

    line("first import (all new), with history", "first")
    line("the same file again (nothing to write)", "again")
    line("every quantity changed (all updated)", "changed")
    line("plain COPY of the typed rows", "copy")
    ratio = statistics.median(figures["first"]) / statistics.median(figures["copy"])
    print(f"  ratio first import / COPY: {ratio:.1f}")
    print("  stages of the first import (median):")
    for stage, values in stages.items():
        print(f"    {stage:<40} {statistics.median(values):6.2f} s")
    goal = rows / statistics.median(figures["first"]) >= 5000
    print(f"  goal ≥ 5,000 rows/s: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
