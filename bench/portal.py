"""Benchmark: the portal's HTML pages on a large database.

    DATABASE_URL=postgres://…/bench_dataset .venv/bin/python bench/portal.py [--runs N]

Needs a database filled by ``generate_dataset`` (``bench/generate_dataset.py --keep`` makes
one) and migrated to the code under test. Renders every list page (unfiltered, with filters,
sorted by a column, a deep page), the search page and the detail pages as an officer of
Colombia's government, in process with Django's test client, and prints for each the median
and p95 server time (the whole request, template rendering included) and its SQL queries.
The goal is every list page under 300 ms.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
# Plain http in process: no redirect to https (production settings otherwise).
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

# Load the application as the server does (see bench/api.py); before the model imports.
importlib.import_module("cooperation.wsgi")

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.test import Client  # noqa: E402

from agreements.models import Agreement  # noqa: E402
from cooperation.models import Affiliation, Partner, User  # noqa: E402
from operations.models import JointOperation  # noqa: E402

GOAL_MS = 300


def officer() -> User:
    user, _ = User.objects.get_or_create(username="bench-officer")
    user.groups.add(Group.objects.get(name="officer"))
    colombia = Partner.objects.get(kind="government", country_id="COL")
    Affiliation.objects.get_or_create(user=user, partner=colombia)
    return user


def pages(user) -> list[tuple[str, str, bool]]:
    """(label, URL, is a list page held to the goal)."""
    visible_operations = JointOperation.objects.visible_to(user)
    operation = (
        visible_operations.filter(sensitivity="restricted", countries="COL").order_by("id").first()
    )
    agreement = Agreement.objects.visible_to(user).order_by("id").first()
    colombia = Partner.objects.get(kind="government", country_id="COL")
    filters = "country=COL&status=completed&started_after=2015-01-01"
    return [
        ("dashboard", "/", False),
        ("agreements", "/agreements/", True),
        (
            "agreements, 3 filters",
            "/agreements/?status=in_force&country=COL&area=maritime_interdiction",
            True,
        ),
        (
            "agreements, filters, sorted",
            "/agreements/?country=COL&signed_after=2000-01-01&ordering=-expires_on",
            True,
        ),
        ("agreements, words", "/agreements/?q=cooperation+agreement+1", True),
        ("operations", "/operations/", True),
        ("operations, 3 filters", f"/operations/?{filters}", True),
        ("operations, 3 filters, sorted", f"/operations/?{filters}&ordering=-arrests", True),
        ("operations, 3 filters, page 200", f"/operations/?{filters}&page=200", True),
        ("operations, page 10,000", "/operations/?page=10000", True),
        (
            "operations, region+kind+dates",
            "/operations/?region=005&kind=maritime_interdiction"
            "&started_after=2018-01-01&started_before=2019-12-31&ordering=name",
            True,
        ),
        ("operations, substance", "/operations/?substance=cocaine&country=PER", True),
        ("operations, partner role", "/operations/?partner_role=lead&country=COL", True),
        ("operations, words", "/operations/?q=operation+12345", True),
        ("partners", "/partners/", True),
        ("partners, 2 filters, sorted", "/partners/?kind=agency&country=COL&ordering=-name", True),
        ("partners, words, page 2", "/partners/?q=synthetic&page=2", True),
        ("search, rare words", "/search/?q=operation+12345", False),
        ("search, common word", "/search/?q=synthetic", False),
        ("search, phrase OR word", '/search/?q="situation+report"+or+lesson', False),
        ("search, no match", "/search/?q=zyzzyva", False),
        ("agreement detail", f"/agreements/{agreement.pk}/", False),
        ("operation detail", f"/operations/{operation.pk}/", False),
        ("partner detail", f"/partners/{colombia.pk}/", False),
    ]


def measure(client: Client, url: str, runs: int) -> tuple[list[float], int]:
    queries: list[str] = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, len(queries)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Portal pages benchmark")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="run only pages whose label contains this")
    args = parser.parse_args()

    pending = MigrationExecutor(connection).migration_plan(
        MigrationExecutor(connection).loader.graph.leaf_nodes()
    )
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
        print(f"WARNING: the database lacks migrations ({names}): figures are not the code's.")
    operations = JointOperation.objects.count()
    print(f"{operations:,} operations; officer of Colombia's government; {args.runs} runs a page")

    user = officer()
    client = Client()
    client.force_login(user)
    width = 34
    print(f"{'page':<{width}} {'median':>9} {'p95':>9} {'queries':>8}")
    missed = []
    for label, url, is_list in pages(user):
        if args.only and args.only not in label:
            continue
        samples, queries = measure(client, url, args.runs)
        median = statistics.median(samples)
        flag = ""
        if is_list and median > GOAL_MS:
            flag = f"  over {GOAL_MS} ms"
            missed.append(label)
        print(f"{label:<{width}} {median:>7.1f}ms {p95(samples):>7.1f}ms {queries:>8}{flag}")
    if missed:
        print(f"List pages over {GOAL_MS} ms: {', '.join(missed)}")
    else:
        print(f"Every list page with filters under {GOAL_MS} ms (median).")


if __name__ == "__main__":
    main()
